"""The ingestion worker: one thread that consumes the intake log batch by batch.

The batches themselves are `batch_loop.py`'s; this is the thread around them. When idle, the
worker flushes the person mirror (`person_mirror.py`) and squashes overrides when due. The
store buffers the sessions of the batches it inserts and writes them every few seconds; the
worker has them written whenever it settles (caught up, paused, stopping, before a chore).
Chores (erasure, backups, the intake's rebalance) run on the thread between batches.

While a file exists at `pause_file` (one `stat` per turn of the loop), the worker finishes the
batch in flight and takes no new one; removing the file resumes it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hedgerow.cookieless.store import CookielessStore
from hedgerow.ingestion.batch import InFlight
from hedgerow.ingestion.batch_loop import CONSUMER, BatchLoop
from hedgerow.ingestion.bookkeeping import Bookkeeping
from hedgerow.ingestion.handover import Handover
from hedgerow.ingestion.person_mirror import PersonMirror
from hedgerow.ingestion.pipeline import Step, WarningSink
from hedgerow.ingestion.postgres_bookkeeping import PostgresBookkeeping
from hedgerow.ingestion.state import IngestionState
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
from hedgerow.intake.log import IntakeLog
from hedgerow.persons.groups import GroupStore
from hedgerow.persons.store import PersonStore
from hedgerow.store.events import EventStore

__all__ = ["CONSUMER", "IngestionWorker"]

log = logging.getLogger(__name__)

PAUSE_POLL_SECONDS = 0.1


class IngestionWorker(BatchLoop):
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
        shared: PostgresBookkeeping | None = None,
    ) -> None:
        self.intake = intake
        self.handover = handover  # several workers share the intake (`handover.py`)
        self.state = state
        self.shared = shared  # the bookkeeping of several workers (`postgres_bookkeeping.py`)
        self.bookkeeping: Bookkeeping = shared if shared is not None else state
        self.persons = persons
        self.events = events
        self.batch_size = batch_size
        self.squash_interval = squash_interval
        self._next_squash = time.monotonic() + squash_interval
        self.warnings = WarningSink()
        self.groups = groups
        self.buffer_delay = buffer_delay
        self._inflight: InFlight | None = None
        self.buffer_index: BufferIndex = {}
        self._indexed_partitions: frozenset[int] | None = None
        self._index_stale = False
        self.reload_buffer_index()
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
        self.mirror = PersonMirror(events, self._inserter)
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

    def publish_mirror(self, *, force: bool) -> None:
        """Insert the person changes gathered so far when due (`force`: now)."""
        self.mirror.publish(force=force)

    def squash_due(self) -> int:
        """Rewrite stored events for pending overrides when the squash interval has passed."""
        if self.squash_interval <= 0 or time.monotonic() < self._next_squash:
            return 0
        squashed = 0
        while batch := self.events.squash_overrides():
            squashed += batch
        self._next_squash = time.monotonic() + self.squash_interval
        return squashed

    # -- status --------------------------------------------------------------------------

    def status(self, team_id: int) -> dict[str, Any]:
        backlog = self.intake.backlog(team_id)
        outcomes = self.bookkeeping.outcomes(team_id)
        lag = 0.0
        if backlog.oldest_appended_at is not None:
            lag = max(0.0, time.time() - backlog.oldest_appended_at)
        buffered, oldest, next_due = self.bookkeeping.buffer_status(team_id)
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
