"""Ingestion workers sharing the JetStream intake stream, partition by partition.

The stream's entries belong to partitions (`partitions.py`: a hash of project and distinct
id). Each ingestion worker (`hedgerow ingest`, or the worker in `hedgerow serve`) holds the
partitions of its share by leases (`leases.py`) and is, to the ingestion worker, its intake
log: it reads the stream in order, keeps the entries of the partitions it holds, and commits
by writing each partition's offset (`ingestion.p<n>` in the offsets bucket).

- Order: one distinct id's events are in one partition, held by one worker at a time, read
  in stream order.
- Commits after storing: the worker commits a batch's last offset only once its events are
  stored and recorded, so a killed worker's unfinished batches are read again by the next
  owner of their partitions.
- Fencing: a partition's offset is written by compare-and-set on the revision its owner last
  wrote, and a new owner first rewrites it: a worker that lost a lease can no longer commit
  for it. A worker also stops reading, inserting and committing once its leases are not
  certainly its own (`PartitionLeases.valid`), which is before the server can let them go.
- No duplicates: a partition taken over from a worker that did not hand it back cleanly (it
  was killed or cut off) is "suspect" up to the stream's last entry at the takeover: its
  events there may already be stored, so the worker looks their uuids up in the event store
  before inserting (`ingestion/handover.py`). A clean handover (the partitions released
  between batches, after their offsets are committed) leaves nothing suspect.
- Handover happens only between batches: the heartbeat (on the log's event loop) asks the
  worker to rebalance through its chore queue, which runs with no batch in flight.

A worker with embedded stores (persons in SQLite or events in chDB) must be the only one:
it refuses to start beside another live worker, and a server-backed worker refuses to join
an embedded one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import nats.js.errors

from hedgerow.intake.jetstream import IntakeUnreachable, JetStreamIntakeLog
from hedgerow.intake.leases import HEARTBEAT_SECONDS, PartitionLeases, share, wait_for_stale
from hedgerow.intake.log import Backlog, IntakeEntry

log = logging.getLogger(__name__)

CONSUMER = "ingestion"
CHECKPOINT_SECONDS = 2.0  # an idle worker commits what it skipped this often

Scheduler = Callable[[Callable[[], Any]], "Future[Any]"]


class LeaseLost(RuntimeError):
    """This worker can no longer be sure a partition it reads is its own."""


class WorkerRefused(IntakeUnreachable):
    """A second ingestion worker beside one with embedded stores."""


def offset_key(partition: int) -> str:
    return f"{CONSUMER}.p{partition}"


def owner_key(partition: int) -> str:
    return f"owner.p{partition}"


def new_worker_id() -> str:
    """`<host>-<pid>-<random>`: unique, and readable in the leases bucket."""
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40]
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def embedded_worker_id(data_dir: Path) -> str:
    """An embedded worker's id, kept in its data directory: restarted after a crash, it
    takes its own leases back at once instead of waiting for them to expire (the embedded
    stores make sure that one process at a time uses a data directory)."""
    path = data_dir / "ingestion-worker-id"
    if not path.exists():
        path.write_text(new_worker_id())
    return path.read_text().strip()


class PartitionedConsumer:
    def __init__(
        self, intake: JetStreamIntakeLog, *, embedded: bool, worker_id: str | None = None
    ) -> None:
        self.log = intake
        self.partitions = intake.partitions
        self.worker_id = worker_id or new_worker_id()
        self.embedded = embedded
        self.leases = PartitionLeases(
            intake.jetstream, self.worker_id, embedded=embedded, replicas=intake.limits.replicas
        )
        self._offsets: dict[int, tuple[int, int]] = {}  # partition -> (committed, key revision)
        self._suspect: dict[int, int] = {}  # partition -> offset up to which to look up uuids
        self._gaps: dict[int, int] = {}  # offset -> end of a scan with nothing held after it
        self._returned = 0  # the last offset read returned
        self._committed_through = 0  # the last offset the worker committed
        self._scanned = 0  # how far reads have looked
        self._schedule: Scheduler | None = None
        self._queued = False
        self._last_checkpoint = time.monotonic()
        self._heartbeat: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # leases and offsets: one change at a time, on the loop

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, schedule: Scheduler) -> None:
        """Register (or refuse), and start the heartbeat; `schedule` runs a callable on the
        worker's thread between batches (`IngestionWorker.between_batches`)."""
        self._schedule = schedule
        self.log.call(self._start(), timeout=60)

    async def _start(self) -> None:
        await self.leases.open()
        peers = await self.leases.peers()
        if peers and (self.embedded or any(p.embedded for p in peers)):
            peers = await wait_for_stale(self.leases)  # a killed worker's entry goes away
            if peers and (self.embedded or any(p.embedded for p in peers)):
                raise WorkerRefused(
                    "Another ingestion worker consumes this intake stream "
                    f"({', '.join(p.id for p in peers)}), and "
                    + ("this one keeps" if self.embedded else "it keeps")
                    + " its stores embedded (persons in SQLite, events in chDB), which belong to "
                    "one process. Several workers need persons on PostgreSQL (--persons-url) "
                    "and events on a ClickHouse server (--events-url), each worker with both."
                )
        await self._create_offsets()
        await self.leases.register()
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat_forever())

    async def _create_offsets(self) -> None:
        """Every partition's offset key exists before anything is committed (the stream is
        purged below the lowest of the offsets known). On a stream consumed before
        partitions (one `ingestion` offset) every partition starts from that offset, which
        then goes."""
        kv = self.log.offsets
        try:
            single: int | None = int((await kv.get(CONSUMER)).value or b"0")
        except nats.js.errors.KeyNotFoundError:
            single = None
        for partition in range(self.partitions):
            with contextlib.suppress(nats.js.errors.KeyWrongLastSequenceError):
                await kv.create(offset_key(partition), str(single or 0).encode())
        await self.log.reload_offsets([offset_key(n) for n in range(self.partitions)])
        if single is not None:
            await kv.delete(CONSUMER)
            self.log.forget(CONSUMER)

    def close(self) -> None:
        """A clean stop (the worker has finished and committed its last batch): release
        every partition, so that their next owners start without looking anything up."""
        try:
            self.log.call(self._close(), timeout=30)
        except Exception:
            log.exception("releasing the intake partitions failed; they expire by themselves")

    async def _close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        async with self._lock:
            finished = self._finished()
            if finished and self._offsets:  # what was skipped, so the stream can be purged
                await self._write_offsets(self._scanned)
            for partition in sorted(self.leases.held):
                await self._release(partition, finished=finished)
            await self.leases.leave()

    # -- heartbeat and rebalance -------------------------------------------------------------

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                async with self._lock:
                    await self.leases.renew()
                    peers = await self.leases.peers()
                wanted = share([p.id for p in peers], self.worker_id, self.partitions)
                due = time.monotonic() - self._last_checkpoint > CHECKPOINT_SECONDS
                if self.leases.lost or wanted != set(self.leases.held) or due:
                    self._queue_rebalance()
                await self.log.reload_offsets([offset_key(n) for n in range(self.partitions)])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("renewing the intake partition leases failed: %r", exc)

    def _queue_rebalance(self) -> None:
        if self._queued or self._schedule is None:
            return
        self._queued = True
        done = self._schedule(self.rebalance)
        done.add_done_callback(_log_failed_rebalance)

    def rebalance(self) -> None:
        """On the worker's thread, with no batch in flight: commit what was skipped, give
        back what is no longer this worker's share and take what is free of it."""
        self._queued = False
        self._last_checkpoint = time.monotonic()
        self.log.call(self._rebalance(), timeout=30)

    async def _rebalance(self) -> None:
        async with self._lock:
            for partition in self.leases.drop_lost():
                self._offsets.pop(partition, None)
                self._suspect.pop(partition, None)
                log.warning("intake partition %d was taken over by another worker", partition)
            finished = self._finished()
            if finished and self._offsets:
                await self._write_offsets(self._scanned)
            elif not finished:
                self._mark_unfinished()
            peers = await self.leases.peers()
            wanted = share([p.id for p in peers], self.worker_id, self.partitions)
            for partition in sorted(set(self.leases.held) - wanted):
                await self._release(partition, finished=finished)
            taken = [p for p in sorted(wanted - set(self.leases.held)) if await self._take(p)]
            if taken:
                log.info("worker %s took intake partitions %s", self.worker_id, taken)
            low = min((c for c, _ in self._offsets.values()), default=0)
            self._gaps.clear()
            self._returned = self._committed_through = self._scanned = low

    async def _take(self, partition: int) -> bool:
        if not await self.leases.acquire(partition):
            return False
        kv, key = self.log.offsets, offset_key(partition)
        try:
            entry = await kv.get(key)
            offset = int(entry.value or b"0")
            revision = await kv.update(key, str(offset).encode(), last=entry.revision)  # fences
        except Exception:  # a committing previous owner, NATS away: taken at a later beat
            await self.leases.release(partition)
            raise
        try:
            owner = (await self.log.config.get(owner_key(partition))).value or b""
        except nats.js.errors.KeyNotFoundError:
            owner = b"?" if offset > 0 else b""  # from before partitions: maybe unfinished
        if owner:  # not handed back cleanly: what was read after its offset may be stored
            head = (await self.log.jetstream.stream_info("HEDGEROW_INTAKE")).state.last_seq
            self._suspect[partition] = int(head)
        await self.log.config.put(owner_key(partition), self.worker_id.encode())
        self._offsets[partition] = (offset, revision)
        await self.log.note_offsets({key: offset})
        return True

    def _finished(self) -> bool:
        """Whether every entry read was stored and committed, with the leases still valid."""
        return self._committed_through >= self._returned and self.leases.valid()

    def _mark_unfinished(self) -> None:
        """What was read but not committed (a failed batch) may be partly stored: look its
        uuids up when it is read again."""
        for partition in self._offsets:
            self._suspect[partition] = max(self._suspect.get(partition, 0), self._returned)

    async def _release(self, partition: int, *, finished: bool) -> None:
        """Give a partition back; cleanly (its next owner looks nothing up) when everything
        of it that was read is committed and nothing of it is left to look up."""
        committed = self._offsets.get(partition, (0, 0))[0]
        if finished and self._suspect.get(partition, 0) <= committed:
            await self.log.config.put(owner_key(partition), b"")
        self._offsets.pop(partition, None)
        self._suspect.pop(partition, None)
        await self.leases.release(partition)

    async def _write_offsets(self, through: int) -> None:
        """Commit `through` for every partition held (compare-and-set: a partition taken
        over meanwhile is lost, and the commit fails)."""
        behind = {p: rev for p, (c, rev) in self._offsets.items() if c < through}
        if not behind:
            return
        kv, value = self.log.offsets, str(through).encode()
        results = await asyncio.gather(
            *(kv.update(offset_key(p), value, last=rev) for p, rev in behind.items()),
            return_exceptions=True,
        )
        written: dict[str, int] = {}
        for partition, result in zip(behind, results, strict=True):
            if isinstance(result, nats.js.errors.KeyWrongLastSequenceError):
                self.leases.lost.add(partition)
            elif isinstance(result, BaseException):
                raise result
            else:
                self._offsets[partition] = (through, result)
                written[offset_key(partition)] = through
        if written:
            await self.log.note_offsets(written)
        if len(written) < len(behind):
            raise LeaseLost("an intake partition was taken over by another worker")

    # -- the intake log, as the ingestion worker sees it --------------------------------------

    def fence(self) -> None:
        """Raise `LeaseLost` unless every partition held is certainly still this worker's."""
        if self._offsets and not self.leases.valid():
            raise LeaseLost(
                "this worker's intake partition leases may have expired (it could not renew "
                "them in time); the batch is dropped and read again once they are sorted out"
            )

    def scope(self) -> str:
        """What a batch read now is made of besides its offsets: the partitions held and
        their committed offsets (part of the store's deduplication token)."""
        held = ",".join(f"{p}:{c}" for p, (c, _) in sorted(self._offsets.items()))
        return hashlib.sha1(held.encode()).hexdigest()[:12]

    def may_be_stored(self, entries: list[IntakeEntry]) -> bool:
        """Whether some of these entries may have been stored by a previous owner."""
        return any(e.offset <= self._suspect.get(e.partition, 0) for e in entries)

    def held_partitions(self) -> frozenset[int]:
        return frozenset(self._offsets)

    def committed(self, consumer: str) -> int:
        return min((c for c, _ in self._offsets.values()), default=0)

    def read(
        self, consumer: str, max_events: int, *, after: int | None = None
    ) -> list[IntakeEntry]:
        self.fence()
        held = {p: c for p, (c, _) in self._offsets.items()}
        if not held:
            return []
        if after is None:
            after = self.committed(consumer)
        if after < self._returned:  # a failed batch is read again: it may be partly stored
            self._mark_unfinished()
            self._gaps.clear()
            self._returned = self._committed_through = self._scanned = after
        self._gaps = {start: end for start, end in self._gaps.items() if start >= after}
        start = self._gaps.get(after, after)
        taken: list[IntakeEntry] = []
        events = 0
        while events < max_events:
            entries = self.log.read(consumer, max_events, after=start)
            if not entries:
                break
            for entry in entries:
                if entry.offset > held.get(entry.partition, entry.offset):
                    taken.append(entry)
                    events += entry.count
            start = entries[-1].offset
        self._scanned = max(self._scanned, start)
        if taken:
            self._returned = taken[-1].offset
        self._gaps[taken[-1].offset if taken else after] = start
        return taken

    def read_range(self, first: int, last: int) -> list[IntakeEntry]:
        raise NotImplementedError("a partitioned consumer reads again from its offsets")

    def commit(self, consumer: str, offset: int, *, wait: bool = True) -> None:
        """Commit every held partition through `offset` (or through the end of the empty
        stretch read after it), once the batch ending there is stored and recorded."""
        self.fence()
        through = max(offset, self._gaps.get(offset, offset))
        self.log.call(self._locked_write(through))
        self._committed_through = max(self._committed_through, offset)

    async def _locked_write(self, through: int) -> None:
        async with self._lock:
            await self._write_offsets(through)

    def check_pressure(self) -> None:
        self.log.check_pressure()

    async def append(self, team_id: int, count: int, payload: bytes) -> int:
        return await self.log.append(team_id, count, payload)

    def head(self) -> int:
        return self.log.head()

    def backlog(self, team_id: int | None = None) -> Backlog:
        return self.log.backlog(team_id)

    def healthy(self) -> bool:
        return self.log.healthy()


def _log_failed_rebalance(done: Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("rebalancing the intake partitions failed (retried): %r", done.exception())
