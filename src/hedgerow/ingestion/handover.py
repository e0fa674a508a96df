"""What the ingestion worker needs when it shares the intake stream with other workers.

With a partitioned consumer (`intake/consumers.py`) the worker does not replay a batch
interrupted by a crash from its own record (another worker may hold those partitions now):
the next owner reads them again from the committed offsets. Events it reads that a previous
owner may already have stored are looked up by uuid in the event store and dropped as
duplicates; every batch's store deduplication token names the partitions it was read from.
The event buffer's held events belong to partitions too (`postgres_bookkeeping.py`): a worker
releases those of the partitions it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from hedgerow.event import IngestEvent
from hedgerow.intake.log import IntakeEntry
from hedgerow.store.events import EventStore
from hedgerow.store.schema import DATABASE

LOOKUP_CHUNK = 500


class Handover(Protocol):
    def start(self, schedule: Callable[[Callable[[], Any]], Future[Any]]) -> None:
        """Join the other workers; `schedule` runs a callable between batches."""
        ...

    def close(self) -> None:
        """Leave, after the last batch is committed."""
        ...

    def fence(self) -> None:
        """Raise unless this worker may still write for the partitions it holds."""
        ...

    def scope(self) -> str:
        """What a batch read now is made of besides its offsets (for its dedup token)."""
        ...

    def may_be_stored(self, entries: list[IntakeEntry]) -> bool: ...

    def held_partitions(self) -> frozenset[int]:
        """The partitions this worker holds now (they change only between batches)."""
        ...


def stored_already(events: EventStore, batch: Sequence[IngestEvent]) -> set[tuple[int, str]]:
    """The (project, uuid) of the batch's events that the event store already has."""
    by_team: dict[int, dict[str, str]] = {}  # the store answers uuids in lower case
    for event in batch:
        by_team.setdefault(event.team_id, {})[event.uuid.lower()] = event.uuid
    found: set[tuple[int, str]] = set()
    for team_id, sent in by_team.items():
        uuids = list(sent)
        for start in range(0, len(uuids), LOOKUP_CHUNK):
            chunk = uuids[start : start + LOOKUP_CHUNK]
            result = events.query(
                f"SELECT DISTINCT toString(uuid) FROM {DATABASE}.events "
                "WHERE team_id = {team:Int64} "
                "AND has(splitByChar(',', {uuids:String}), toString(uuid))",
                {"team": team_id, "uuids": ",".join(chunk)},  # chDB binds no arrays
            )
            found.update((team_id, sent[str(row[0])]) for row in result.rows if row[0] in sent)
    return found
