"""Batches overlap by one: a batch's steps run while the batch before it is being inserted.

Driven one step at a time on real stores: `advance()` runs the next batch and leaves its
insert in flight (finishing the batch before it first), `settle()` finishes it. One-entry
batches make each captured request its own batch.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from worker_stores import Workers, append, intake_record

from hedgerow.ingestion.worker import IngestionWorker
from nats_server import NatsServer

OPTIONS: dict[str, Any] = {"batch_size": 1, "buffer_delay": 60}


@pytest.fixture(params=["sqlite", "jetstream"])
def worker(
    request: pytest.FixtureRequest, workers: Workers, tmp_path: Path
) -> Iterator[IngestionWorker]:
    """A worker on the embedded intake log, and one on JetStream (a nats-server of its own)."""
    if request.param == "sqlite":
        yield workers.open(**OPTIONS)
        return
    nats = NatsServer(tmp_path / "nats").start()
    workers.intake_url = nats.url
    yield workers.open(**OPTIONS)
    workers.close_all()
    nats.stop()


def _capture(
    worker: IngestionWorker, uuid_tail: int, name: str, distinct_id: str, *, ago: float = 0
) -> None:
    """One intake entry of one event; anonymous (its own `$device_id`) unless the id is an
    email, which the buffer holds while it has no person."""
    properties = {} if "@" in distinct_id else {"$device_id": distinct_id}
    append(worker, intake_record(uuid_tail, name, distinct_id, properties, ago=ago))


def _stored(worker: IngestionWorker) -> list[tuple[str, int]]:
    rows = worker.events.query(
        "SELECT event, count() FROM hedgerow.events GROUP BY event ORDER BY event"
    ).rows
    return [(row[0], row[1]) for row in rows]


def test_a_batch_is_recorded_done_when_the_next_one_runs(worker: IngestionWorker) -> None:
    _capture(worker, 1, "one", "anon-1")
    _capture(worker, 2, "two", "anon-2")
    assert worker.advance() == 1
    assert worker.status(1)["processed"] == 0  # inserting, not yet recorded
    assert worker.advance() == 1
    pending = worker.state.batch()
    assert pending is not None and not pending.done and pending.after_offset == 1
    assert worker.status(1)["processed"] == 1  # the first, finished before the second commits
    assert worker.advance() == 0  # nothing new: the second is finished
    status = worker.status(1)
    assert status["processed"] == 2 and status["received"] == 2 and status["discarded"] == {}
    assert _stored(worker) == [("one", 1), ("two", 1)]


def test_a_uuid_in_the_batch_in_flight_is_a_duplicate(worker: IngestionWorker) -> None:
    _capture(worker, 7, "sent", "anon-1")
    # A client's retry of it with one more event, in the next batch (not the very same
    # request: JetStream keeps one copy of that itself, see tests/unit/intake).
    properties = {"$device_id": "anon-1"}
    append(
        worker,
        intake_record(7, "sent", "anon-1", properties),
        intake_record(8, "more", "anon-1", properties),
    )
    worker.advance()
    worker.advance()  # uuid 7 is not recorded as stored yet: its batch is still in flight
    worker.settle()
    assert _stored(worker) == [("more", 1), ("sent", 1)]
    status = worker.status(1)
    assert status["processed"] == 2 and status["discarded"] == {"duplicate_event": 1}


def test_buffered_events_released_in_flight_are_not_released_again(
    worker: IngestionWorker,
) -> None:
    _capture(worker, 1, "signed up", "alice@example.com", ago=120)  # due at once
    assert worker.run_once() == 1
    assert worker.status(1)["buffered"] == 1
    _capture(worker, 2, "pageview", "anon-1")
    assert worker.advance() == 2  # the release and the entry (both in flight)
    _capture(worker, 3, "pageview", "anon-2")
    assert worker.advance() == 1  # the entry only: the release is not due again
    worker.settle()
    status = worker.status(1)
    assert status["buffered"] == 0 and status["discarded"] == {}
    assert status["received"] == 3 and status["processed"] == 3
    assert _stored(worker) == [("pageview", 2), ("signed up", 1)]
    assert worker.buffer_index == {}


def test_a_crash_with_a_release_in_flight_and_the_offset_before_it_lost(
    tmp_path: Path, workers: Workers
) -> None:
    """The batch in flight releases buffered events only; the intake commit of the batch
    before it is lost in the crash. The replay is that release, exactly, and nothing of the
    entry before it is read again."""
    worker = workers.open(**OPTIONS)
    _capture(worker, 1, "signed up", "alice@example.com", ago=59.7)  # due in 0.3 s
    assert worker.run_once() == 1
    _capture(worker, 2, "pageview", "anon-1")
    assert worker.advance() == 1  # the entry; the held event is not due yet
    time.sleep(0.5)
    assert worker.advance() == 1  # the release alone, following offset 2
    inflight = worker._inflight
    assert inflight is not None and not inflight.batch.entries
    inflight.inserted.result()  # inserted; then the process dies before recording it
    workers.close(worker)
    with sqlite3.connect(tmp_path / "intake.sqlite3") as conn:  # offset 2's commit never landed
        conn.execute("UPDATE consumers SET committed = 1 WHERE name = 'ingestion'")

    worker = workers.open(**OPTIONS)
    try:
        while worker.run_once():
            pass
        status = worker.status(1)
        assert status["discarded"] == {}
        assert status["received"] == 2 and status["processed"] == 2
        assert status["buffered"] == 0
        assert _stored(worker) == [("pageview", 1), ("signed up", 1)]
        assert worker.intake.committed("ingestion") == 2
    finally:
        workers.close(worker)


def test_a_failed_insert_replays_its_batch_and_the_one_after(
    worker: IngestionWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    _capture(worker, 1, "one", "anon-1")
    _capture(worker, 2, "two", "anon-2")
    insert = worker.events.insert
    failures = [RuntimeError("the store went away")]

    def flaky(events: Any, token: str) -> None:
        if failures:
            raise failures.pop()
        insert(events, token)

    monkeypatch.setattr(worker.events, "insert", flaky)
    worker.advance()  # the first batch's insert fails on the insert thread
    with pytest.raises(RuntimeError, match="went away"):
        worker.advance()  # ... which the second batch finds before its persons commit
    assert worker._inflight is None
    while worker.run_once():
        pass
    status = worker.status(1)
    assert status["received"] == 2 and status["processed"] == 2 and status["discarded"] == {}
    assert _stored(worker) == [("one", 1), ("two", 1)]


def test_a_batch_recorded_before_pipelining_is_replayed(tmp_path: Path, workers: Workers) -> None:
    """A state file whose batch record has no `after_offset` (written by an earlier version,
    which crashed mid-batch) gains the column, and its batch is replayed from the consumer's
    offset as before."""
    worker = workers.open(**OPTIONS)
    _capture(worker, 1, "one", "anon-1")
    _capture(worker, 2, "two", "anon-2")
    workers.close(worker)
    with sqlite3.connect(tmp_path / "ingestion.sqlite3") as conn:
        conn.execute("DROP TABLE batch")
        conn.execute(
            "CREATE TABLE batch (id INTEGER PRIMARY KEY CHECK (id = 1), first_offset INTEGER "
            "NOT NULL, last_offset INTEGER NOT NULL, buffer_ids TEXT NOT NULL DEFAULT '[]', "
            "done INTEGER NOT NULL)"
        )
        conn.execute("INSERT INTO batch VALUES (1, 1, 2, '[]', 0)")

    worker = workers.open(**OPTIONS)
    try:
        pending = worker.state.batch()
        assert pending is not None and pending.after_offset is None and not pending.done
        assert worker.run_once() == 2  # the recorded range, whole
        assert worker.run_once() == 0
        assert worker.status(1)["processed"] == 2
        assert _stored(worker) == [("one", 1), ("two", 1)]
    finally:
        workers.close(worker)
