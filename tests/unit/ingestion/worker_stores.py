"""Ingestion workers on real stores in a test's data directory (the `workers` fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hedgerow.ingestion.state import IngestionState
from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.intake.sqlite import SqliteIntakeLog
from hedgerow.persons.groups import SqliteGroupStore
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.store.chdb import ChdbEventStore


class Workers:
    """Opens workers on the stores of one data directory (again after a close, as after a
    restart), and closes what a test left open."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self._open: list[IngestionWorker] = []

    def open(self, **options: Any) -> IngestionWorker:
        options.setdefault("squash_interval", 0)
        worker = IngestionWorker(
            SqliteIntakeLog(self.data / "intake.sqlite3"),
            IngestionState(self.data / "ingestion.sqlite3"),
            SqlitePersonStore(self.data / "persons.sqlite3"),
            ChdbEventStore(self.data / "events.chdb"),
            SqliteGroupStore(self.data / "groups.sqlite3"),
            **options,
        )
        self._open.append(worker)
        return worker

    def close(self, worker: IngestionWorker) -> None:
        self._open.remove(worker)
        for part in (worker.intake, worker.state, worker.persons, worker.events, worker.groups):
            part.close()

    def close_all(self) -> None:
        while self._open:
            self.close(self._open[-1])
