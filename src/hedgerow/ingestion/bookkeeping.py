"""What every ingestion worker of an installation shares: the event buffer's held-back events,
the counts of received, stored and discarded events, and the warnings.

One worker (embedded stores) keeps them in its `ingestion.sqlite3` (`state.py`), in the same
transaction as its record of the batch. Several workers sharing the JetStream intake keep them
in PostgreSQL beside the persons (`postgres_bookkeeping.py`), so that:
- a buffered event belongs to its intake partition, not to the worker that held it back:
  whoever holds the partition releases it when due, also after the worker that held it died;
- the counts and warnings that `GET /api/projects/:id/ingestion/` and `/ingestion/warnings/`
  answer are those of every worker together, whichever process (`web`, `serve`) is asked.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

# (project, distinct_id) -> (events held, latest release time): the buffer step's index.
BufferIndexRows = dict[tuple[int, str], tuple[int, float]]


@dataclass(frozen=True)
class Buffered:
    """An event the buffer holds back until `release_at` (seconds since the epoch)."""

    team_id: int
    uuid: str
    distinct_id: str
    release_at: float
    record: bytes
    partition: int = 0  # the intake partition it was read from


class Released(NamedTuple):
    """A buffered event that is due, as a batch takes it."""

    id: int
    team_id: int
    record: bytes
    again: bool = False  # taken before (by this worker or another): it may be stored already


class Bookkeeping(Protocol):
    """`partitions`: the intake partitions this worker holds (None: all of them)."""

    def due(
        self,
        now: float,
        limit: int,
        exclude: Sequence[int] = (),
        partitions: Collection[int] | None = None,
    ) -> list[Released]:
        """Held events due by `now`, oldest first, except those `exclude` names."""
        ...

    def held_already(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """The (project, uuid) among `keys` that the buffer holds."""
        ...

    def buffer_index(self, partitions: Collection[int] | None = None) -> BufferIndexRows: ...

    def buffer_status(self, team_id: int) -> tuple[int, float | None, float | None]:
        """Events held for a project, when the oldest was buffered, when the next is due."""
        ...

    def erase(
        self,
        team_id: int,
        distinct_ids: Sequence[str],
        event_uuids: Sequence[str] = (),
        *,
        drop_buffered: bool = True,
    ) -> int:
        """Forget erased persons' warnings and (`drop_buffered`) held events; return how
        many held events were dropped."""
        ...

    def outcomes(self, team_id: int) -> dict[str, Any]: ...

    def warnings(
        self, team_id: int, limit: int, offset: int, type: str | None = None
    ) -> list[dict[str, Any]]: ...

    def warning_totals(self, team_id: int) -> list[tuple[str, int, float]]: ...

    def warning_buckets(
        self, team_id: int, since: float, bucket_seconds: int
    ) -> list[tuple[str, float, int]]: ...

    def close(self) -> None: ...
