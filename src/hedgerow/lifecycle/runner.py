"""The erasure runner: one thread that carries each erasure job through its phases.

1. `persons`, on the ingestion thread between batches (`IngestionWorker.between_batches`),
   so no batch holds the person meanwhile, 100 persons at a time (ingestion goes on
   between): note the moment (`until`, the capture time up to which the person's events
   go) and the intake log's head, then delete each
   person's rows in the person store, its events held by the event buffer, the ingestion
   warnings naming it or its distinct ids, and its rows in the event store's person mirror
   and override tables. With `delete_events`, its distinct ids get a tombstone
   (`ingestion/steps/erased.py`): events captured up to that moment and not yet stored are
   dropped when ingestion reaches them.
2. `events` (with `delete_events`): lightweight deletes, one month partition at a time
   (`store/deletes.py`), warnings about those events with them; progress after each.
3. `draining` (with `delete_events`): wait until ingestion has passed the intake head noted
   in 1 (every event captured before the erasure has then been dropped), then lift the
   tombstones.
4. Insight results cached for the project are cleared (when a cache is wired in), the plan
   (which names the persons) is emptied, the job is `done` and `on_finished` is told (the
   audit log's `erasure_finished`).

Each phase records its progress in the job (`jobs.py`) and is safe to repeat, so a job a
restart interrupted goes on from the phase, person or partition it reached.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hedgerow.capture.normalize import format_timestamp
from hedgerow.ingestion.worker import CONSUMER, IngestionWorker
from hedgerow.intake.log import IntakeLog
from hedgerow.lifecycle.jobs import DONE, RUNNING, ErasureJob, ErasureJobs
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import PersonStore
from hedgerow.store import deletes
from hedgerow.store.chdb import ChdbEventStore

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
PERSONS_PER_CHUNK = 100  # erased in one pause of ingestion (and one delete statement)
DRAIN_POLL_SECONDS = 0.2


class ErasureRunner:
    def __init__(
        self,
        jobs: ErasureJobs,
        persons: PersonStore,
        events: ChdbEventStore,
        worker: IngestionWorker,
        intake: IntakeLog,
        clear_cache: Callable[[int], object] | None = None,
        on_finished: Callable[[ErasureJob], object] | None = None,
    ) -> None:
        self.jobs = jobs
        self.persons = persons
        self.events = events
        self.worker = worker
        self.intake = intake
        self.clear_cache = clear_cache
        self.on_finished = on_finished
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Jobs interrupted by a restart keep dropping their persons' uncaptured events.
        for job in jobs.unfinished():
            self._set_tombstones(job, job.plan.get("erased", []))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="erasure", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def submit(self, team_id: int, person_ids: list[str], *, delete_events: bool) -> ErasureJob:
        job = self.jobs.create(team_id, person_ids, delete_events=delete_events)
        self._wake.set()
        return job

    def _loop(self) -> None:
        while not self._stop.is_set():
            waiting = False
            for job in self.jobs.unfinished():
                if self._stop.is_set():
                    return
                try:
                    waiting |= not self.advance(job)
                except Exception as exc:  # retried; the job shows the error meanwhile
                    log.exception("erasure job %s failed; retrying", job.id)
                    job.error = f"{type(exc).__name__}: {exc}"
                    self.jobs.save(job)
                    waiting = True
            self._wake.wait(DRAIN_POLL_SECONDS if waiting else RETRY_SECONDS)
            self._wake.clear()

    def advance(self, job: ErasureJob) -> bool:
        """Carry a job as far as it can go now; False when it waits for ingestion."""
        job.status, job.error = RUNNING, None
        while job.phase == "persons":
            if self.worker.between_batches(lambda: self._erase_persons(job)).result():
                job.phase = "events" if job.delete_events else "finishing"
            self.jobs.save(job)
        if job.phase == "events":
            self._delete_events(job)
            job.phase = "draining"
            self.jobs.save(job)
        if job.phase == "draining":
            if self.intake.committed(CONSUMER) < int(job.plan.get("head", 0)):
                return False
            self.worker.between_batches(lambda: self._lift_tombstones(job)).result()
            job.phase = "finishing"
            self.jobs.save(job)
        if job.phase == "finishing":
            if self.clear_cache is not None:
                self.clear_cache(job.team_id)
            job.plan = {}
            job.phase, job.status, job.progress = "done", DONE, 1.0
            job.finished_at = time.time()
            self.jobs.save(job)
            if self.on_finished is not None:
                self.on_finished(job)
        return True

    def finish_pending(self) -> list[ErasureJob]:
        """Carry every unfinished job to its end now, in this thread (what `hedgerow import`
        does before it imports: a job a stopped server left must not let the import store
        events of the persons it erases). The worker must be running: the draining phase
        waits for it."""
        finished = []
        for job in self.jobs.unfinished():
            while not self.advance(job):
                time.sleep(DRAIN_POLL_SECONDS)
            finished.append(job)
        return finished

    # -- the phases --------------------------------------------------------------------

    def _erase_persons(self, job: ErasureJob) -> bool:
        """On the ingestion thread, between batches: erase the next chunk of the job's
        persons (ingestion goes on between chunks); True when none is left.

        Each chunk notes its moment (`until`: its events captured up to then go) and the
        intake head, and notes its persons' distinct ids before their rows go, so that a
        restart in between still knows them."""
        plan = job.plan
        team_id = job.team_id
        until = format_timestamp(datetime.now(UTC))
        head = max(self.intake.head(), self.intake.committed(CONSUMER))
        plan["head"] = max(int(plan.get("head", 0)), head)
        # A chunk a restart interrupted is done again (with a new moment), else the next.
        entries: list[dict[str, Any]] = [e for e in plan["erased"] if not e.get("done")]
        if not entries:
            noted = {entry["person_id"] for entry in plan["erased"]}
            chunk = [p for p in plan["requested"] if p not in noted][:PERSONS_PER_CHUNK]
            if not chunk:
                return True
            entries = []
            for person_id in chunk:
                dids = self.persons.distinct_ids(team_id, person_id)
                ids = [person_id, *(person_uuid(team_id, d) for d in dids)]
                entries.append({"person_id": person_id, "distinct_ids": dids, "person_ids": ids})
            plan["erased"].extend(entries)
        for entry in entries:
            entry["until"] = until
        self._set_tombstones(job, entries)
        self.jobs.save(job)
        for entry in entries:
            erased = self.persons.erase(team_id, entry["person_id"])
            if erased is not None:
                entry["distinct_ids"] = sorted(
                    set(entry["distinct_ids"]) | set(erased.distinct_ids)
                )
                entry["person_ids"] = erased.person_ids
        self._set_tombstones(job, entries)
        dids = [d for e in entries for d in e["distinct_ids"]]
        drop = job.delete_events
        self.worker.bookkeeping.erase(team_id, dids, drop_buffered=drop)
        for did in dids if drop else ():
            self.worker.buffer_index.pop((team_id, did), None)
        deletes.erase_person_rows(
            self.events, team_id, [p for e in entries for p in e["person_ids"]], dids
        )
        for entry in entries:
            entry["done"] = True
        job.distinct_ids = sum(len(e["distinct_ids"]) for e in plan["erased"])
        job.progress = 0.1 * len(plan["erased"]) / max(1, len(plan["requested"]))
        return len(plan["erased"]) >= len(plan["requested"])

    def _set_tombstones(self, job: ErasureJob, entries: list[dict[str, Any]]) -> None:
        if not job.delete_events:
            return
        for entry in entries:
            for did in entry["distinct_ids"]:
                key = (job.team_id, did)
                self.worker.tombstones[key] = max(
                    entry["until"], self.worker.tombstones.get(key, "")
                )

    def _lift_tombstones(self, job: ErasureJob) -> None:
        for entry in job.plan.get("erased", []):
            for did in entry["distinct_ids"]:
                key = (job.team_id, did)
                if self.worker.tombstones.get(key) == entry["until"]:
                    del self.worker.tombstones[key]

    def _delete_events(self, job: ErasureJob) -> None:
        """Each chunk of persons in each month partition, as one step: `steps_done` says
        how far the job got."""
        plan = job.plan
        chunks: dict[str, list[dict[str, Any]]] = {}
        for entry in plan["erased"]:
            chunks.setdefault(entry["until"], []).append(entry)
        selections = [
            deletes.PersonRows(
                job.team_id,
                [p for e in entries for p in e["person_ids"]],
                [d for e in entries for d in e["distinct_ids"]],
                until,
            )
            for until, entries in sorted(chunks.items())
        ]
        if "partitions" not in plan:
            plan["partitions"] = deletes.partitions(self.events, job.team_id)
            plan["steps_done"] = 0
            self.jobs.save(job)
        steps = [(p, rows) for p in plan["partitions"] for rows in selections]
        for index in range(int(plan["steps_done"]), len(steps)):
            partition, rows = steps[index]
            uuids = deletes.event_uuids(self.events, rows, partition)
            self.worker.bookkeeping.erase(job.team_id, [], uuids)
            job.events_deleted += deletes.delete_person_events(self.events, rows, partition)
            plan["steps_done"] = index + 1
            job.progress = 0.1 + 0.85 * (index + 1) / len(steps)
            self.jobs.save(job)
