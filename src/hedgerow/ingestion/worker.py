"""The ingestion worker: one thread that consumes the intake log batch by batch.

For each batch: remember its intake range (so a crash replays the same range), skip events
whose uuid is already stored, run the steps, insert what is kept into the event store with a
token derived from the range, record uuids, counts and warnings, then commit the intake
offset. Every step of that is safe to repeat after a crash at any point.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson

from hedgerow.ingestion.event import IngestEvent
from hedgerow.ingestion.outcomes import DiscardReason
from hedgerow.ingestion.pipeline import Drop, Step, Warning, WarningSink, run_steps
from hedgerow.ingestion.state import IngestionState
from hedgerow.ingestion.steps.groups import groups_step
from hedgerow.ingestion.steps.initial_properties import initial_properties_step
from hedgerow.ingestion.steps.normalize import normalize_step
from hedgerow.ingestion.steps.person import person_step
from hedgerow.ingestion.steps.validate import validate_step
from hedgerow.intake.log import IntakeEntry, IntakeLog
from hedgerow.persons.groups import GroupStore
from hedgerow.persons.store import PersonStore
from hedgerow.store.events import EventStore

log = logging.getLogger(__name__)

CONSUMER = "ingestion"


class IngestionWorker:
    def __init__(
        self,
        intake: IntakeLog,
        state: IngestionState,
        persons: PersonStore,
        events: EventStore,
        groups: GroupStore,
        *,
        batch_size: int = 5000,
        squash_interval: float = 600.0,
    ) -> None:
        self.intake = intake
        self.state = state
        self.persons = persons
        self.events = events
        self.batch_size = batch_size
        self.squash_interval = squash_interval
        self._next_squash = time.monotonic() + squash_interval
        self.warnings = WarningSink()
        self.groups = groups
        self.steps: list[tuple[str, Step]] = [
            ("validate", validate_step()),
            ("normalize", normalize_step(self.warnings)),
            ("initial_properties", initial_properties_step()),
            ("person", person_step(persons, self.warnings)),
            ("groups", groups_step(groups, self.warnings)),
        ]
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ingestion", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.run_once()
                self.last_error = None
            except Exception as exc:  # the batch is retried as a whole
                log.exception("ingestion batch failed; retrying")
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(1.0)
                continue
            if handled == 0:
                try:
                    self.squash_due()
                except Exception:
                    log.exception("squashing person overrides failed; will retry")
                self._wake.wait(0.05)
                self._wake.clear()

    # -- one batch -----------------------------------------------------------------------

    def _next_entries(self) -> list[IntakeEntry]:
        committed = self.intake.committed(CONSUMER)
        pending = self.state.batch()
        if pending is not None:
            first, last, done = pending
            if last > committed:
                if done:
                    self.intake.commit(CONSUMER, last)
                    return []
                return self.intake.read_range(max(first, committed + 1), last)
        entries = self.intake.read(CONSUMER, self.batch_size)
        if entries:
            self.state.start_batch(entries[0].offset, entries[-1].offset)
        return entries

    def run_once(self) -> int:
        entries = self._next_entries()
        if not entries:
            return 0
        counts: Counter[tuple[int, str, str]] = Counter()
        drops: list[tuple[IngestEvent, Drop]] = []
        events = self._decode(entries, counts, drops)
        events = self._drop_duplicates(events, drops)
        self.warnings.items.clear()
        with self.persons.transaction(), self.groups.transaction():
            self.persons.prefetch((e.team_id, e.distinct_id) for e in events)
            outcome = run_steps(events, self.steps)
        self.publish_overrides()
        drops.extend(outcome.dropped)
        token = f"intake-{entries[0].offset}-{entries[-1].offset}"
        self.events.insert(outcome.kept, token)
        for event in outcome.kept:
            counts[(event.team_id, "stored", "")] += 1
        warnings: list[Warning] = list(self.warnings.items)
        for event, drop in drops:
            counts[(event.team_id, "discarded", drop.reason.value)] += 1
            warnings.append(Warning(event.team_id, drop.reason.value, event.uuid, drop.details))
        self.state.finish_batch(
            [(e.team_id, e.uuid) for e in outcome.kept], counts, warnings
        )
        self.intake.commit(CONSUMER, entries[-1].offset)
        return sum(entry.count for entry in entries)

    def publish_overrides(self) -> None:
        """Move overrides from the person store's outbox into the event store."""
        while pending := self.persons.pending_overrides():
            self.events.insert_overrides([override for _, override in pending])
            self.persons.clear_overrides(pending[-1][0])

    def squash_due(self) -> int:
        """Rewrite stored events for pending overrides when the squash interval has passed."""
        if self.squash_interval <= 0 or time.monotonic() < self._next_squash:
            return 0
        squashed = 0
        while batch := self.events.squash_overrides():
            squashed += batch
        self._next_squash = time.monotonic() + self.squash_interval
        return squashed

    def _decode(
        self,
        entries: Sequence[IntakeEntry],
        counts: Counter[tuple[int, str, str]],
        drops: list[tuple[IngestEvent, Drop]],
    ) -> list[IngestEvent]:
        events: list[IngestEvent] = []
        for entry in entries:
            counts[(entry.team_id, "received", "")] += entry.count
            try:
                records: list[dict[str, Any]] = orjson.loads(entry.payload)
                events.extend(IngestEvent.from_intake(entry.team_id, r) for r in records)
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                log.error("intake entry %s unreadable: %s", entry.offset, exc)
                placeholder = IngestEvent(entry.team_id, "", "", "", {}, "", "")
                for _ in range(entry.count):
                    drops.append(
                        (placeholder, Drop(DiscardReason.INVALID_RECORD, {"offset": entry.offset}))
                    )
        return events

    def _drop_duplicates(
        self, events: list[IngestEvent], drops: list[tuple[IngestEvent, Drop]]
    ) -> list[IngestEvent]:
        keys = [(e.team_id, e.uuid) for e in events]
        unseen = self.state.unseen(keys)
        kept: list[IngestEvent] = []
        taken: set[tuple[int, str]] = set()
        for event, key in zip(events, keys, strict=True):
            if key in unseen and key not in taken:
                taken.add(key)
                kept.append(event)
            else:
                drops.append((event, Drop(DiscardReason.DUPLICATE_EVENT, {})))
        return kept

    # -- status --------------------------------------------------------------------------

    def status(self, team_id: int) -> dict[str, Any]:
        backlog = self.intake.backlog(team_id)
        outcomes = self.state.outcomes(team_id)
        lag = 0.0
        if backlog.oldest_appended_at is not None:
            lag = max(0.0, time.time() - backlog.oldest_appended_at)
        return {
            "queued": backlog.events,
            "buffered": 0,
            "received": outcomes["received"],
            "processed": outcomes["stored"],
            "discarded": outcomes["discarded"],
            "lag_seconds": round(lag, 3),
            "person_overrides": self.events.override_count(team_id),
            "healthy": self.alive and self.last_error is None,
            "last_error": self.last_error,
        }
