"""What capture and ingestion need from an intake log.

An entry is what one accepted capture request became: its project and a list of normalized
events, encoded as one JSON blob. Offsets grow with every append; each consumer commits the
last offset it has fully handled, and reads resume after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class IntakeEntry:
    offset: int
    team_id: int
    count: int
    payload: bytes
    appended_at: float
    partition: int = 0  # JetStream: the partition of its events' distinct ids (`partitions.py`)


@dataclass(frozen=True)
class Backlog:
    events: int
    oldest_appended_at: float | None


class IntakeLog(Protocol):
    def check_pressure(self) -> None:
        """Raise the 503 that applies if an append would be refused now (backpressure), so
        that capture refuses before it reads and decodes a body."""
        ...

    async def append(self, team_id: int, count: int, payload: bytes) -> int:
        """Append one entry; return its offset once it is durable. Raises ServiceUnavailable."""
        ...

    def read(
        self, consumer: str, max_events: int, *, after: int | None = None
    ) -> list[IntakeEntry]:
        """Entries after the consumer's committed offset (or after `after`, for a consumer
        that reads ahead of its commits), at least one, about max_events."""
        ...

    def read_range(self, first: int, last: int) -> list[IntakeEntry]:
        """Entries with first <= offset <= last (a batch being replayed)."""
        ...

    def commit(self, consumer: str, offset: int, *, wait: bool = True) -> None:
        """Record that every entry up to offset is handled; they may then be discarded.
        `wait=False` returns before the record is durable (`committed` already counts it)."""
        ...

    def committed(self, consumer: str) -> int: ...

    def head(self) -> int:
        """The offset of the last entry appended (0: none yet)."""
        ...

    def backlog(self, team_id: int | None = None) -> Backlog: ...

    def healthy(self) -> bool:
        """Whether appends can be made now (the writer runs, the server is reachable)."""
        ...

    def close(self) -> None: ...
