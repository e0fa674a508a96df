"""The person mirror: person changes copied into the event store's person tables.

Each insert has a fixed cost, so changes are gathered and inserted in large inserts: at
`MIRROR_BATCH` rows, after a second, or when ingestion is idle. The insert runs on the
worker's insert thread, after the events inserted before it; the rows of a failed insert
are kept for the next one.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor

from hedgerow.persons.store import MirrorRow
from hedgerow.store.events import EventStore

log = logging.getLogger(__name__)

MIRROR_BATCH = 20_000


class PersonMirror:
    def __init__(self, events: EventStore, inserter: ThreadPoolExecutor) -> None:
        self.events = events
        self._inserter = inserter
        self._rows: list[MirrorRow] = []
        self._job: tuple[Future[None], list[MirrorRow]] | None = None
        self._published = time.monotonic()

    def add(self, rows: list[MirrorRow]) -> None:
        self._rows.extend(rows)

    def publish(self, *, force: bool) -> None:
        """Start an insert when one is due (`force`: now, and wait for it)."""
        due = time.monotonic() - self._published > 1.0
        if self._job is not None and (force or self._job[0].done()):
            self._finish_job()
        if self._rows and self._job is None and (force or due or len(self._rows) >= MIRROR_BATCH):
            rows, self._rows = self._rows, []
            self._job = (self._inserter.submit(self.events.mirror_persons, rows), rows)
            self._published = time.monotonic()
            if force:
                self._finish_job()

    def _finish_job(self) -> None:
        assert self._job is not None
        job, rows = self._job
        self._job = None
        try:
            job.result()
        except Exception:
            log.exception("mirroring %d person changes failed; will retry", len(rows))
            self._rows = rows + self._rows
