"""What one ingestion batch is made of, and how its intake entries become events.

A batch is the buffered events that are due, then new intake entries (`Batch`); once its
steps have run, its events are inserted while the next batch is prepared (`InFlight`, with
what to record once the insert is done).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import orjson

from hedgerow.event import IngestEvent
from hedgerow.ingestion.bookkeeping import Buffered, Released
from hedgerow.ingestion.outcomes import DiscardReason
from hedgerow.ingestion.pipeline import Drop, Warning
from hedgerow.intake.log import IntakeEntry
from hedgerow.persons.identity import IDENTITY_EVENTS, other_id

log = logging.getLogger(__name__)

Counts = Counter[tuple[int, str, str]]  # (project, outcome, reason) -> events


@dataclass(frozen=True)
class Batch:
    """Intake entries after offset `after`, preceded by events released from the buffer."""

    entries: list[IntakeEntry]
    released: list[Released]
    after: int
    scope: str = ""  # the partitions read and their offsets (`Handover.scope`)

    @property
    def first(self) -> int:
        return self.entries[0].offset if self.entries else self.after

    @property
    def last(self) -> int:
        return self.entries[-1].offset if self.entries else self.after

    @property
    def released_ids(self) -> list[int]:
        return [row.id for row in self.released]

    @property
    def released_again(self) -> bool:
        """Whether some released events were taken before: they may be stored already."""
        return any(row.again for row in self.released)

    @property
    def token(self) -> str:
        """The store's deduplication token: the same batch replayed gets the same one."""
        token = f"intake-{self.scope}-" if self.scope else "intake-"
        token += f"{self.first}-{self.last}"
        if self.released:
            ids = self.released_ids
            token += f"-buffer-{min(ids)}-{max(ids)}-{len(ids)}"
        return token


@dataclass
class InFlight:
    """A batch whose events are being inserted, with what to record once they are."""

    batch: Batch
    inserted: Future[None]
    outbox_up_to: int | None  # the person store's outbox rows the insert carries
    stored: list[tuple[int, str]]
    counts: Counts
    warnings: list[Warning]
    held: list[Buffered]


def decode_entries(
    entries: Sequence[IntakeEntry],
    counts: Counts,
    drops: list[tuple[IngestEvent, Drop]],
    partitions: dict[tuple[int, str], int],
) -> list[IngestEvent]:
    """The events of intake entries, each counted as received, and the partition of each
    (project, uuid) in `partitions`; an unreadable entry's events are dropped as invalid
    records."""
    events: list[IngestEvent] = []
    for entry in entries:
        counts[(entry.team_id, "received", "")] += entry.count
        try:
            records: list[dict[str, Any]] = orjson.loads(entry.payload)
            decoded = [IngestEvent.from_intake(entry.team_id, r) for r in records]
            for event in decoded:
                partitions.setdefault((event.team_id, event.uuid), entry.partition)
            events.extend(decoded)
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            log.error("intake entry %s unreadable: %s", entry.offset, exc)
            placeholder = IngestEvent(entry.team_id, "", "", "", {}, "", "")
            for _ in range(entry.count):
                drops.append(
                    (placeholder, Drop(DiscardReason.INVALID_RECORD, {"offset": entry.offset}))
                )
    return events


def distinct_ids_of(events: Sequence[IngestEvent]) -> Iterator[tuple[int, str]]:
    """Every distinct id the batch's steps look up: the events' and those that identity
    events name (`$anon_distinct_id`, `alias`)."""
    for event in events:
        yield event.team_id, event.distinct_id
        if event.event in IDENTITY_EVENTS:
            other = other_id(event.event, event.properties)
            if other is not None:
                yield event.team_id, other
