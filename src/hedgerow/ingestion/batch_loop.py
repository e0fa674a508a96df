"""The ingestion worker's batches, one after another (the worker's thread calls `advance`).

For each batch: skip events whose uuid is already stored, run the steps (persons and groups
in one transaction each), remember what the batch is made of (so that a crash replays
exactly it), insert what is kept into the event store with a token derived from the batch
(while the person writes commit), then record uuids, counts, warnings and the buffer's
changes, clear the overrides the insert carried, and commit the intake offset. Every step is
safe to repeat after a crash at any point.

Batches overlap by one: while a batch's events are being inserted, the next batch is read,
decoded and run through the steps; its person transaction then waits for that insert,
records the batch as done and only then records itself and commits. So at most one batch
has committed person changes without being done, and the record names it.

With several workers sharing the intake stream (`handover`), a batch interrupted by a crash
is not replayed from this worker's record: the next owner of its partitions reads it again
(`handover.py`). The buffer's held events, the counts and the warnings are then `shared`
(`postgres_bookkeeping.py`), written before the batch is recorded done; a worker releases
the due events of the partitions it holds, and reads the buffer's index of those partitions
again whenever they change.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import orjson

from hedgerow.event import IngestEvent
from hedgerow.ingestion.batch import Batch, Counts, InFlight, decode_entries, distinct_ids_of
from hedgerow.ingestion.bookkeeping import Bookkeeping, Buffered
from hedgerow.ingestion.handover import Handover, stored_already
from hedgerow.ingestion.outcomes import DiscardReason
from hedgerow.ingestion.person_mirror import PersonMirror
from hedgerow.ingestion.pipeline import Drop, Step, Warning, WarningSink, run_steps
from hedgerow.ingestion.postgres_bookkeeping import PostgresBookkeeping
from hedgerow.ingestion.state import IngestionState
from hedgerow.ingestion.steps.buffer import BufferIndex
from hedgerow.intake.log import IntakeLog
from hedgerow.persons.groups import GroupStore
from hedgerow.persons.store import Override, PersonStore
from hedgerow.store.events import EventStore

CONSUMER = "ingestion"


class BatchLoop:
    """The batch half of `IngestionWorker` (`worker.py`), which sets these up."""

    intake: IntakeLog
    handover: Handover | None
    state: IngestionState
    shared: PostgresBookkeeping | None  # several workers' bookkeeping (else in `state`)
    bookkeeping: Bookkeeping  # `shared`, or `state`
    persons: PersonStore
    events: EventStore
    groups: GroupStore
    batch_size: int
    buffer_delay: float
    buffer_index: BufferIndex
    warnings: WarningSink
    steps: list[tuple[str, Step]]
    mirror: PersonMirror
    _inserter: ThreadPoolExecutor
    _inflight: InFlight | None
    _indexed_partitions: frozenset[int] | None  # those `buffer_index` was read for
    _index_stale: bool  # `buffer_index` must be read again before the next batch

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
        buffer's in-memory index is read again from what is recorded (before the next batch:
        what failed may be the store it is read from)."""
        self._inflight = None
        self._index_stale = True

    def held_partitions(self) -> frozenset[int] | None:
        """The intake partitions this worker holds (None: a worker alone, all of them)."""
        return self.handover.held_partitions() if self.handover is not None else None

    def reload_buffer_index(self) -> None:
        """Read the buffer's index again, for the partitions held now. Only with no batch in
        flight: the index also holds what the batch in flight holds back, not yet recorded."""
        held = self.held_partitions()
        rows = self.bookkeeping.buffer_index(held)
        self.buffer_index.clear()
        self.buffer_index.update(rows)
        self._indexed_partitions = held
        self._index_stale = False

    def _next_batch(self, previous: InFlight | None) -> Batch | None:
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
                    return Batch(entries, released, after)
            elif pending is not None and pending.last_offset > after:
                self.intake.commit(CONSUMER, pending.last_offset, wait=False)  # lost in a crash
                after = pending.last_offset
        released = (
            self.bookkeeping.due(time.time(), self.batch_size, excluded, self.held_partitions())
            if self.buffer_delay > 0
            else []
        )
        scope = self.handover.scope() if self.handover is not None else ""
        entries = self.intake.read(CONSUMER, max(1, self.batch_size - len(released)), after=after)
        if not entries and not released:
            return None
        return Batch(entries, released, after, scope)

    def _advance(self) -> int:
        previous = self._inflight
        if previous is None:
            if self._index_stale or self.held_partitions() != self._indexed_partitions:
                self.reload_buffer_index()  # after a failure, or a rebalance moved partitions
            self._publish_left_overrides()
        batch = self._next_batch(previous)
        if batch is None:
            self.settle()
            return 0
        counts: Counts = Counter()
        drops: list[tuple[IngestEvent, Drop]] = []
        released = [
            IngestEvent.from_intake(row.team_id, orjson.loads(row.record), released=True)
            for row in batch.released
        ]
        for event in released:  # they run first: later events of their ids need not wait
            self._forget_held(event)
        partitions: dict[tuple[int, str], int] = {}
        read = decode_entries(batch.entries, counts, drops, partitions)
        in_flight = set(previous.stored) if previous is not None else set()
        if self.handover is not None and (
            self.handover.may_be_stored(batch.entries) or batch.released_again
        ):
            in_flight |= stored_already(self.events, released + read)  # a previous owner's
            read = self._skip_held(read)
        events = self._drop_duplicates(released + read, drops, in_flight)
        self.warnings.items.clear()
        with self.persons.transaction(), self.groups.transaction():
            self.persons.prefetch(distinct_ids_of(events))
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
            Buffered(
                e.team_id,
                e.uuid,
                e.distinct_id,
                delay.until,
                orjson.dumps(e.to_record()),
                partitions.get((e.team_id, e.uuid), 0),
            )
            for e, delay in outcome.delayed
        ]
        self._inflight = InFlight(
            batch,
            inserted,
            overrides[-1][0] if overrides else None,
            [(e.team_id, e.uuid) for e in outcome.kept],
            counts,
            warnings,
            held,
        )
        self.mirror.add(self.persons.take_mirror())
        self.mirror.publish(force=False)
        return sum(entry.count for entry in batch.entries) + len(released)

    def _finish(self, inflight: InFlight) -> None:
        """Wait for a batch's insert, then record it as done and commit its offset."""
        inflight.inserted.result()
        if inflight.outbox_up_to is not None:
            self.persons.clear_overrides(inflight.outbox_up_to)
        released = inflight.batch.released_ids
        if self.shared is None:  # all in one transaction, with the batch recorded done
            self.state.finish_batch(
                inflight.stored,
                inflight.counts,
                inflight.warnings,
                buffered=inflight.held,
                released=released,
            )
        else:  # what every worker shares first: a batch recorded done has it written
            if self.handover is not None:  # not for partitions another worker may hold now
                self.handover.fence()
            self.shared.record_batch(
                inflight.counts, inflight.warnings, buffered=inflight.held, released=released
            )
            self.state.finish_batch(inflight.stored, Counter(), [])
        if inflight.batch.entries:
            # Not waited for: the batch is recorded as done above, so a commit lost in a
            # crash is redone at the next start (`_next_batch`).
            self.intake.commit(CONSUMER, inflight.batch.last, wait=False)

    def _skip_held(self, events: list[IngestEvent]) -> list[IngestEvent]:
        """Events read again that the buffer already holds (a previous owner held them back
        and died before committing the offset): they are released from there, not held
        twice."""
        held = self.bookkeeping.held_already([(e.team_id, e.uuid) for e in events])
        return [e for e in events if (e.team_id, e.uuid) not in held] if held else events

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
