"""The ingestion worker: one thread that consumes the intake log batch by batch.

A batch is the buffered events that are due, then new intake entries. For each batch: skip
events whose uuid is already stored, run the steps (persons and groups in one transaction
each), remember what the batch is made of (so that a crash replays exactly it), insert what
is kept into the event store with a token derived from the batch (while the person writes
commit), then record uuids, counts, warnings and the buffer's changes, clear the overrides
the insert carried, and commit the intake offset. Every step is safe to repeat after a
crash at any point.

Batches overlap by one: while a batch's events are being inserted, the next batch is read,
decoded and run through the steps; its person transaction then waits for that insert,
records the batch as done and only then records itself and commits. So at most one batch
has committed person changes without being done, and the record names it. When idle, the
worker flushes the person mirror and squashes overrides when due. The store buffers the
sessions of the batches it inserts and writes them every few seconds; the worker has them
written whenever it settles (caught up, paused, stopping, before a chore).

While a file exists at `pause_file` (one `stat` per turn of the loop), the worker finishes the
batch in flight and takes no new one; removing the file resumes it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from hedgerow.cookieless.store import CookielessStore
from hedgerow.event import IngestEvent
from hedgerow.ingestion.handover import Handover, stored_already
from hedgerow.ingestion.outcomes import DiscardReason
from hedgerow.ingestion.pipeline import Drop, Step, Warning, WarningSink, run_steps
from hedgerow.ingestion.state import Buffered, IngestionState
from hedgerow.ingestion.steps.bots import BotDetector, bots_step
from hedgerow.ingestion.steps.buffer import BufferIndex, buffer_step
from hedgerow.ingestion.steps.cookieless import ProjectModes, cookieless_step
from hedgerow.ingestion.steps.erased import Tombstones, erased_step
from hedgerow.ingestion.steps.geoip import Locator, geoip_step
from hedgerow.ingestion.steps.groups import groups_step
from hedgerow.ingestion.steps.initial_properties import initial_properties_step
from hedgerow.ingestion.steps.normalize import normalize_step
from hedgerow.ingestion.steps.person import person_step
from hedgerow.ingestion.steps.redact import Redactions, redact_step
from hedgerow.ingestion.steps.validate import validate_step
from hedgerow.intake.log import IntakeEntry, IntakeLog
from hedgerow.persons.groups import GroupStore
from hedgerow.persons.identity import IDENTITY_EVENTS, other_id
from hedgerow.persons.store import MirrorRow, Override, PersonStore
from hedgerow.store.events import EventStore

log = logging.getLogger(__name__)

CONSUMER = "ingestion"
MIRROR_BATCH = 20_000
PAUSE_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class _Batch:
    """Intake entries after offset `after`, preceded by events released from the buffer."""

    entries: list[IntakeEntry]
    released: list[tuple[int, int, bytes]]  # (buffer id, project, record)
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
        return [row[0] for row in self.released]

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
class _InFlight:
    """A batch whose events are being inserted, with what to record once they are."""

    batch: _Batch
    inserted: Future[None]
    outbox_up_to: int | None  # the person store's outbox rows the insert carries
    stored: list[tuple[int, str]]
    counts: Counter[tuple[int, str, str]]
    warnings: list[Warning]
    held: list[Buffered]


class IngestionWorker:
    def __init__(
        self,
        intake: IntakeLog,
        state: IngestionState,
        persons: PersonStore,
        events: EventStore,
        groups: GroupStore,
        *,
        batch_size: int = 20_000,
        squash_interval: float = 600.0,
        buffer_delay: float = 0.0,
        pause_file: Path | None = None,
        redactions: Redactions | None = None,
        geoip: Locator | None = None,
        bots: BotDetector | None = None,
        cookieless: CookielessStore | None = None,
        project_modes: ProjectModes | None = None,
        handover: Handover | None = None,
    ) -> None:
        self.intake = intake
        self.handover = handover  # several workers share the intake (`handover.py`)
        self.state = state
        self.persons = persons
        self.events = events
        self.batch_size = batch_size
        self.squash_interval = squash_interval
        self._next_squash = time.monotonic() + squash_interval
        self.warnings = WarningSink()
        self.groups = groups
        self.buffer_delay = buffer_delay
        self._mirror: list[MirrorRow] = []
        self._mirror_job: tuple[Future[None], list[MirrorRow]] | None = None
        self._inflight: _InFlight | None = None
        self._mirror_published = time.monotonic()
        self.buffer_index: BufferIndex = state.buffer_index()
        self.tombstones: Tombstones = {}  # erasures in progress (`steps/erased.py`)
        self.redactions: Redactions = redactions if redactions is not None else {}
        self._chores: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self.cookieless = cookieless
        # GeoIP and the bot flag read `$ip` and the user agent before `cookieless` (which
        # hashes them into the visitor's id and removes them) and `redact` can drop them.
        self.steps: list[tuple[str, Step]] = [
            ("validate", validate_step()),
            *([("geoip", geoip_step(geoip, persons))] if geoip is not None else []),
            *([("bots", bots_step(bots))] if bots is not None else []),
        ]
        if cookieless is not None and project_modes is not None:
            self.steps.append(("cookieless", cookieless_step(cookieless, project_modes)))
        self.steps += [
            ("erased", erased_step(self.tombstones)),
            ("normalize", normalize_step(self.warnings)),
            ("redact", redact_step(self.redactions)),
            ("buffer", buffer_step(persons, buffer_delay, self.buffer_index)),
            ("initial_properties", initial_properties_step()),
            ("person", person_step(persons, self.warnings)),
            ("groups", groups_step(groups, self.warnings)),
        ]
        self._inserter = ThreadPoolExecutor(1, thread_name_prefix="event-insert")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.pause_file = pause_file
        self.paused = False  # the pause file was seen and the batch in flight is finished

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self.handover is not None:
            self.handover.start(self.between_batches)
        self._thread = threading.Thread(target=self._loop, name="ingestion", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._inserter.shutdown(wait=True)
        if self.handover is not None and self._thread is not None:
            self.handover.close()

    def wake(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def between_batches(self, chore: Callable[[], Any]) -> Future[Any]:
        """Run `chore` on the ingestion thread with no batch in flight and the person mirror
        published (erasure needs the person store to itself); the future has its result."""
        done: Future[Any] = Future()
        self._chores.put((chore, done))
        self._wake.set()
        return done

    def _run_chores(self) -> None:
        if self._chores.empty():
            return
        self.settle()
        self.events.flush_sessions()  # a chore (erasure, backup) sees every session written
        self.publish_mirror(force=True)
        while not self._chores.empty():
            chore, done = self._chores.get()
            try:
                done.set_result(chore())
            except BaseException as exc:
                done.set_exception(exc)

    def _pause_requested(self) -> bool:
        return self.pause_file is not None and os.path.exists(self.pause_file)

    def _loop(self) -> None:
        while not self._stop.is_set():
            pause = self._pause_requested()
            if not pause and self.paused:
                log.info("ingestion resumed: %s is gone", self.pause_file)
                self.paused = False
            try:
                self._run_chores()
                if pause:  # finish the batch in flight, take no new one
                    self.settle()
                    handled = 0
                else:
                    handled = self.advance()
                self.last_error = None
            except Exception as exc:  # the batch is retried as a whole
                log.exception("ingestion batch failed; retrying")
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(1.0)
                continue
            if pause:
                if not self.paused:
                    log.info("ingestion paused while %s exists", self.pause_file)
                    self.paused = True
                self._stop.wait(PAUSE_POLL_SECONDS)
                continue
            if handled == 0:
                try:
                    self.publish_mirror(force=True)
                    self.squash_due()
                    if self.cookieless is not None:
                        self.cookieless.purge_if_due()
                except Exception:
                    log.exception("squashing person overrides failed; will retry")
                self._wake.wait(0.05)
                self._wake.clear()
        try:
            self.settle()
        except Exception:  # replayed from its record at the next start
            log.exception("finishing the last batch failed; it is replayed at the next start")

    # -- one batch -----------------------------------------------------------------------

    def run_once(self) -> int:
        """Process the next batch to the end; return how many events it held (0: none)."""
        handled = self.advance()
        self.settle()
        return handled

    def advance(self) -> int:
        """Run the next batch's steps and start inserting its events, after finishing the
        batch before it; with nothing new, finish that batch. Return the events handled."""
        try:
            return self._advance()
        except BaseException:
            self._abandon()
            raise

    def settle(self) -> None:
        """Finish the batch whose events are being inserted, if any, writing the sessions the
        store buffered before it is recorded as done: ingestion has caught up (or pauses, or
        stops, or makes way for a chore), so what is processed is complete in `sessions`."""
        inflight, self._inflight = self._inflight, None
        if inflight is None:
            return
        try:
            inflight.inserted.result()
            self.events.flush_sessions()
            self._finish(inflight)
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        """After a failure: the batch in flight (if any) is replayed from its record, and the
        buffer's in-memory index is read again from what is recorded."""
        self._inflight = None
        self.buffer_index.clear()
        self.buffer_index.update(self.state.buffer_index())

    def _next_batch(self, previous: _InFlight | None) -> _Batch | None:
        """What to process next: after the batch in flight, the entries following it; with
        none in flight, a batch interrupted by a crash (exactly as it was), else due buffered
        events followed by new intake entries."""
        if previous is not None:
            after, excluded = previous.batch.last, previous.batch.released_ids
        elif self.handover is not None:  # read again from the offsets, never replayed here
            excluded, after = [], self.intake.committed(CONSUMER)
        else:
            excluded = []
            after = self.intake.committed(CONSUMER)
            pending = self.state.batch()
            if pending is not None and not pending.done:
                if pending.after_offset is not None:
                    if pending.after_offset > after:  # the batch before: its commit was lost
                        self.intake.commit(CONSUMER, pending.after_offset, wait=False)
                    after = pending.after_offset
                entries = []
                if pending.last_offset > after:
                    first = max(pending.first_offset, after + 1)
                    entries = self.intake.read_range(first, pending.last_offset)
                ids = pending.buffer_ids
                released = self.state.buffered_rows(ids) if ids else []
                if entries or released:
                    return _Batch(entries, released, after)
            elif pending is not None and pending.last_offset > after:
                self.intake.commit(CONSUMER, pending.last_offset, wait=False)  # lost in a crash
                after = pending.last_offset
        released = (
            self.state.due(time.time(), self.batch_size, excluded) if self.buffer_delay > 0 else []
        )
        scope = self.handover.scope() if self.handover is not None else ""
        entries = self.intake.read(CONSUMER, max(1, self.batch_size - len(released)), after=after)
        if not entries and not released:
            return None
        return _Batch(entries, released, after, scope)

    def _advance(self) -> int:
        previous = self._inflight
        if previous is None:
            self._publish_left_overrides()
        batch = self._next_batch(previous)
        if batch is None:
            self.settle()
            return 0
        counts: Counter[tuple[int, str, str]] = Counter()
        drops: list[tuple[IngestEvent, Drop]] = []
        released = [
            IngestEvent.from_intake(team_id, orjson.loads(record), released=True)
            for _, team_id, record in batch.released
        ]
        for event in released:  # they run first: later events of their ids need not wait
            self._forget_held(event)
        events = released + self._decode(batch.entries, counts, drops)
        in_flight = set(previous.stored) if previous is not None else set()
        if self.handover is not None and self.handover.may_be_stored(batch.entries):
            in_flight |= stored_already(self.events, events)  # a previous owner's
        events = self._drop_duplicates(events, drops, in_flight)
        self.warnings.items.clear()
        with self.persons.transaction(), self.groups.transaction():
            self.persons.prefetch(self._distinct_ids(events))
            outcome = run_steps(events, self.steps)
            if previous is not None:  # done before this batch's person changes commit
                self._inflight = None
                self._finish(previous)
            if self.handover is not None:  # no person writes once the leases may be gone
                self.handover.fence()
            self.state.start_batch(batch.first, batch.last, batch.released_ids, after=batch.after)
            # The event insert (and the overrides the batch's merges wrote to the outbox) run
            # while the person writes commit and the next batch's steps run: both wait mostly
            # outside the GIL. A failure of either fails the batch, which is then replayed
            # whole; overrides inserted twice are harmless (the highest version wins).
            overrides = self.persons.pending_overrides()
            inserted = self._inserter.submit(
                self._store_batch, outcome.kept, batch.token, [o for _, o in overrides]
            )
        drops.extend(outcome.dropped)
        for event in outcome.kept:
            counts[(event.team_id, "stored", "")] += 1
        warnings: list[Warning] = list(self.warnings.items)
        for event, drop in drops:
            counts[(event.team_id, "discarded", drop.reason.value)] += 1
            if drop.reason is not DiscardReason.PERSON_ERASED:  # counted, naming no event
                warnings.append(Warning(event.team_id, drop.reason.value, event.uuid, drop.details))
        held = [
            Buffered(e.team_id, e.uuid, e.distinct_id, delay.until, orjson.dumps(e.to_record()))
            for e, delay in outcome.delayed
        ]
        self._inflight = _InFlight(
            batch,
            inserted,
            overrides[-1][0] if overrides else None,
            [(e.team_id, e.uuid) for e in outcome.kept],
            counts,
            warnings,
            held,
        )
        self._mirror.extend(self.persons.take_mirror())
        self.publish_mirror(force=False)
        return sum(entry.count for entry in batch.entries) + len(released)

    def _finish(self, inflight: _InFlight) -> None:
        """Wait for a batch's insert, then record it as done and commit its offset."""
        inflight.inserted.result()
        if inflight.outbox_up_to is not None:
            self.persons.clear_overrides(inflight.outbox_up_to)
        self.state.finish_batch(
            inflight.stored,
            inflight.counts,
            inflight.warnings,
            buffered=inflight.held,
            released=inflight.batch.released_ids,
        )
        if inflight.batch.entries:
            # Not waited for: the batch is recorded as done above, so a commit lost in a
            # crash is redone at the next start (`_next_batch`).
            self.intake.commit(CONSUMER, inflight.batch.last, wait=False)

    @staticmethod
    def _distinct_ids(events: Sequence[IngestEvent]) -> Iterator[tuple[int, str]]:
        """Every distinct id the batch's steps look up: the events' and those that identity
        events name (`$anon_distinct_id`, `alias`)."""
        for event in events:
            yield event.team_id, event.distinct_id
            if event.event in IDENTITY_EVENTS:
                other = other_id(event.event, event.properties)
                if other is not None:
                    yield event.team_id, other

    def _forget_held(self, event: IngestEvent) -> None:
        key = (event.team_id, event.distinct_id)
        count, latest = self.buffer_index.get(key, (0, 0.0))
        if count <= 1:
            self.buffer_index.pop(key, None)
        else:
            self.buffer_index[key] = (count - 1, latest)

    def _store_batch(
        self, events: Sequence[IngestEvent], token: str, overrides: Sequence[Override]
    ) -> None:
        if self.handover is not None:
            self.handover.fence()
        self.events.insert(events, token)
        if overrides:
            self.events.insert_overrides(overrides)

    def _publish_left_overrides(self) -> None:
        """Move overrides left in the person store's outbox (by a batch that failed after
        its merges committed) into the event store; inserting twice is harmless (the highest
        version wins). Called only with no batch in flight."""
        while pending := self.persons.pending_overrides():
            self.events.insert_overrides([override for _, override in pending])
            self.persons.clear_overrides(pending[-1][0])

    def publish_mirror(self, *, force: bool) -> None:
        """Insert person changes into the event store's person tables in large inserts
        (each insert has a fixed cost): at 20,000 rows, after a second, or when idle. The
        insert runs on the insert thread, before the next batch's events; rows of a failed
        insert are kept for the next one."""
        due = time.monotonic() - self._mirror_published > 1.0
        if self._mirror_job is not None and (force or self._mirror_job[0].done()):
            self._finish_mirror_job()
        if (
            self._mirror
            and self._mirror_job is None
            and (force or due or len(self._mirror) >= MIRROR_BATCH)
        ):
            rows, self._mirror = self._mirror, []
            self._mirror_job = (self._inserter.submit(self.events.mirror_persons, rows), rows)
            self._mirror_published = time.monotonic()
            if force:
                self._finish_mirror_job()

    def _finish_mirror_job(self) -> None:
        assert self._mirror_job is not None
        job, rows = self._mirror_job
        self._mirror_job = None
        try:
            job.result()
        except Exception:
            log.exception("mirroring %d person changes failed; will retry", len(rows))
            self._mirror = rows + self._mirror

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
        self,
        events: list[IngestEvent],
        drops: list[tuple[IngestEvent, Drop]],
        in_flight: set[tuple[int, str]],
    ) -> list[IngestEvent]:
        """Keep the first event of each uuid not stored yet (nor in the batch in flight)."""
        keys = [(e.team_id, e.uuid) for e in events]
        unseen = self.state.unseen(keys) - in_flight
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
        buffered, oldest, next_due = self.state.buffer_status(team_id)
        now = time.time()
        return {
            "queued": backlog.events,
            "buffered": buffered,
            "buffer_delay_seconds": self.buffer_delay,
            "buffered_oldest_age_seconds": round(now - oldest, 3) if oldest else 0.0,
            "buffered_next_release_seconds": round(max(0.0, next_due - now), 3)
            if next_due
            else None,
            "received": outcomes["received"],
            "processed": outcomes["stored"],
            "discarded": outcomes["discarded"],
            "lag_seconds": round(lag, 3),
            "person_overrides": self.events.override_count(team_id),
            "paused": self.paused,
            "healthy": self.alive and self.last_error is None,
            "last_error": self.last_error,
        }
