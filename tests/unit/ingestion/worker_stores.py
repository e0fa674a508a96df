"""Ingestion workers on real stores in a test's data directory (the `workers` fixture), and
events as capture writes them to the intake log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from hedgerow.ingestion.state import IngestionState
from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.intake.jetstream import JetStreamIntakeLog
from hedgerow.intake.log import IntakeLog
from hedgerow.intake.sqlite import SqliteIntakeLog
from hedgerow.persons.groups import SqliteGroupStore
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.store.chdb import ChdbEventStore


class Workers:
    """Opens workers on the stores of one data directory (again after a close, as after a
    restart), and closes what a test left open."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.intake_url: str | None = None  # nats://...: the JetStream intake log instead
        self._open: list[IngestionWorker] = []

    def _intake(self) -> IntakeLog:
        if self.intake_url is not None:
            return JetStreamIntakeLog(self.intake_url)
        return SqliteIntakeLog(self.data / "intake.sqlite3")

    def open(self, **options: Any) -> IngestionWorker:
        options.setdefault("squash_interval", 0)
        worker = IngestionWorker(
            self._intake(),
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


def intake_record(
    uuid_tail: int,
    name: str,
    distinct_id: str,
    properties: dict[str, Any] | None = None,
    *,
    ago: float = 0,
) -> dict[str, Any]:
    """An event as capture writes it to the intake log, captured `ago` seconds ago."""
    now = (datetime.now(UTC) - timedelta(seconds=ago)).strftime("%Y-%m-%d %H:%M:%S.%f")
    return {
        "uuid": f"00000000-0000-7000-8000-{uuid_tail:012d}",
        "event": name,
        "distinct_id": distinct_id,
        "properties": properties if properties is not None else {},
        "timestamp": now,
        "now": now,
        "sent_at": None,
    }


def append(worker: IngestionWorker, *records: dict[str, Any]) -> None:
    """One intake entry of project 1 holding `records`."""
    worker.intake.append_blocking(1, len(records), orjson.dumps(list(records)))
