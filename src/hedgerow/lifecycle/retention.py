"""Retention: events older than their project's `retention_days` (by `timestamp`) are
deleted, by a job that runs at start, every `--retention-interval` seconds, and when a
project's period changes.

Why a job and not ClickHouse's TTL: a table TTL is one expression for every row, and the
period here is a project setting that changes at run time. A TTL reading the period from a
dictionary keyed by `team_id` is possible, but ClickHouse applies TTLs only when it merges
parts (or on `MATERIALIZE TTL`, a rewrite of every part), so a shortened period would take
effect at an unknown later time, and the dictionary would have to be reloaded in step with
the setting. A lightweight `DELETE ... WHERE team_id = X AND timestamp < cutoff` is
immediate, deletes whole old parts cheaply, and was measured at 0.03 s for 180,000 of
300,000 events (docs/benchmarks.md, `bench/erasure.py`).

`clock` is injected so that tests can move time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hedgerow.capture.normalize import format_timestamp
from hedgerow.projects import Project, ProjectCatalog
from hedgerow.store import deletes
from hedgerow.store.chdb import ChdbEventStore

log = logging.getLogger(__name__)
DAY = 86_400


@dataclass(frozen=True)
class RetentionRun:
    """The last run for one project: when, the cutoff it used, the events it deleted."""

    ran_at: float
    cutoff: str
    deleted: int


class RetentionRunner:
    def __init__(
        self,
        catalog: ProjectCatalog,
        events: ChdbEventStore,
        interval: float,
        clock: Callable[[], float] = time.time,
        clear_cache: Callable[[int], object] | None = None,
        on_deleted: Callable[[Project, RetentionRun], object] | None = None,
    ) -> None:
        self.catalog = catalog
        self.events = events
        self.interval = interval
        self.clock = clock
        self.clear_cache = clear_cache  # cached insight results of a project that lost events
        self.on_deleted = on_deleted  # the audit log's `retention_deleted`
        self.last_runs: dict[int, RetentionRun] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Run soon (a project's period changed)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.enforce()
            except Exception:
                log.exception("deleting events past their retention period failed; will retry")
            self._wake.wait(self.interval)
            self._wake.clear()

    def enforce(self) -> dict[int, int]:
        """Delete every project's events past its period; project id -> events deleted."""
        now = self.clock()
        deleted: dict[int, int] = {}
        for project in self.catalog.all():
            if project.retention_days is None:
                self.last_runs.pop(project.id, None)
                continue
            moment = datetime.fromtimestamp(now - project.retention_days * DAY, UTC)
            cutoff = format_timestamp(moment)
            deleted[project.id] = deletes.delete_older_than(self.events, project.id, cutoff)
            run = RetentionRun(now, cutoff, deleted[project.id])
            self.last_runs[project.id] = run
            if run.deleted and self.clear_cache is not None:
                self.clear_cache(project.id)
            if run.deleted and self.on_deleted is not None:
                self.on_deleted(project, run)
        return deleted
