"""The worker with the event buffer, on real stores, one batch at a time."""

from __future__ import annotations

import pytest
from worker_stores import Workers, append, intake_record

from hedgerow.ingestion.worker import IngestionWorker


@pytest.fixture()
def worker(workers: Workers) -> IngestionWorker:
    return workers.open(buffer_delay=60)


def _capture(worker: IngestionWorker, name: str, distinct_id: str, ago: float) -> None:
    append(worker, intake_record(abs(hash(name)) % 10**12, name, distinct_id, ago=ago))


def _stored(worker: IngestionWorker) -> list[str]:
    rows = worker.events.query("SELECT event FROM hedgerow.events ORDER BY event").rows
    return [row[0] for row in rows]


def test_a_release_lets_later_events_of_the_id_through(worker: IngestionWorker) -> None:
    _capture(worker, "first", "backend-user", ago=120)  # its 60 s are already over
    assert worker.run_once() == 1
    assert worker.status(1)["buffered"] == 1  # held: no person yet
    _capture(worker, "second", "backend-user", ago=0)
    assert worker.run_once() == 2  # the release, then the new event in the same batch
    assert worker.status(1)["buffered"] == 0
    assert _stored(worker) == ["first", "second"]
    assert worker.buffer_index == {}


def test_an_event_behind_a_held_one_waits_with_it(worker: IngestionWorker) -> None:
    _capture(worker, "first", "late-user", ago=0)
    _capture(worker, "second", "late-user", ago=0)
    worker.run_once()
    status = worker.status(1)
    assert status["buffered"] == 2 and status["processed"] == 0
    assert 55 < status["buffered_next_release_seconds"] <= 60
    assert worker.run_once() == 0  # nothing due, nothing new
    assert _stored(worker) == []
