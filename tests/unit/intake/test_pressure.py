"""Backpressure in the intake log: lag, disk space, bytes waiting for the writer, and the
writer's recovery from failed transactions and commits."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from hedgerow.errors import ServiceUnavailable
from hedgerow.intake import sqlite as intake_sqlite
from hedgerow.intake.pressure import DiskSpace
from hedgerow.intake.sqlite import SqliteIntakeLog


class Clock:
    """Stands in for the `time` module inside the intake log."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return time.monotonic()


def _refused(log: SqliteIntakeLog, count: int = 1, payload: bytes = b"x") -> ServiceUnavailable:
    with pytest.raises(ServiceUnavailable) as refused:
        log.append_blocking(1, count, payload)
    assert refused.value.status == 503
    assert int(refused.value.headers["Retry-After"]) > 0
    return refused.value


def test_lag_follows_the_oldest_unprocessed_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(1000.0)
    monkeypatch.setattr(intake_sqlite, "time", clock)
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3", max_lag=15)
    assert log.lag() == 0.0
    first = log.append_blocking(1, 1, b"a")
    clock.now = 1010.0
    log.append_blocking(1, 1, b"b")
    assert log.lag() == 10.0
    clock.now = 1020.0
    assert _refused(log).code == "ingestion_lagging"
    log.commit("ingestion", first)  # the oldest left was appended at 1010
    assert log.lag() == 10.0
    log.append_blocking(1, 1, b"c")
    log.close()

    reopened = SqliteIntakeLog(tmp_path / "intake.sqlite3", max_lag=15)
    assert reopened.lag() == 10.0  # read from the log at start
    reopened.commit("ingestion", reopened.read("ingestion", 100)[-1].offset)
    assert reopened.lag() == 0.0
    reopened.close()


def test_low_disk_refuses_and_keeps_nothing(tmp_path: Path) -> None:
    disk = DiskSpace(tmp_path, min_free=2**62)
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3", disk=disk)
    refused = _refused(log)
    assert refused.code == "disk_full"
    assert refused.headers["Retry-After"] == "30"
    assert log.read("ingestion", 100) == []
    disk.min_free = 1
    log.append_blocking(1, 1, b"x")
    log.close()


def test_free_space_is_read_at_most_once_per_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real_statvfs = os.statvfs

    def counting_statvfs(path: Any) -> os.statvfs_result:
        calls.append(path)
        return real_statvfs(path)

    monkeypatch.setattr(os, "statvfs", counting_statvfs)
    disk = DiskSpace(tmp_path, min_free=1, refresh=3600)
    for _ in range(1000):
        disk.check()
    assert len(calls) == 1


def _blocked_writer(log: SqliteIntakeLog) -> sqlite3.Connection:
    """Another connection holding the write lock: the log's writer waits on it."""
    blocker = sqlite3.connect(log.path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    return blocker


def test_bytes_waiting_for_the_writer_are_bounded(tmp_path: Path) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3", max_pending_bytes=100)

    async def scenario() -> None:
        blocker = _blocked_writer(log)
        first = asyncio.create_task(log.append(1, 1, b"a" * 80))
        await asyncio.sleep(0)  # queued; the writer waits for the lock
        with pytest.raises(ServiceUnavailable) as refused:
            await log.append(1, 1, b"b" * 80)
        assert refused.value.code == "intake_busy"
        blocker.execute("COMMIT")
        await first
        await log.append(1, 1, b"c" * 80)  # nothing waits any more

    asyncio.run(scenario())
    assert [e.payload[:1] for e in log.read("ingestion", 100)] == [b"a", b"c"]
    assert log.backlog().events == 2
    log.close()


def test_an_append_cancelled_while_queued_is_not_written(tmp_path: Path) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3", max_backlog=10)

    async def scenario() -> None:
        blocker = _blocked_writer(log)
        first = asyncio.create_task(log.append(1, 1, b"first"))
        await asyncio.sleep(0.1)  # the writer has taken it and waits for the lock
        second = asyncio.create_task(log.append(1, 5, b"cancelled"))
        await asyncio.sleep(0)
        second.cancel()
        blocker.execute("COMMIT")
        await first
        with pytest.raises(asyncio.CancelledError):
            await second
        await asyncio.wait_for(log.append(1, 9, b"after"), timeout=10)  # its 5 are freed

    asyncio.run(scenario())
    assert [e.payload for e in log.read("ingestion", 100)] == [b"first", b"after"]
    log.close()


class FailingConnection(sqlite3.Connection):
    """Fails the next statements named in `fail` without running them, as a COMMIT that
    meets an I/O error and leaves its transaction open would."""

    fail: list[str]

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if self.fail and sql == self.fail[0]:
            self.fail.pop(0)
            raise sqlite3.OperationalError(f"disk I/O error (injected at {sql})")
        return super().execute(sql, *args)


def _failing_writer(log: SqliteIntakeLog, *fail: str) -> None:
    conn = sqlite3.connect(
        log.path, isolation_level=None, check_same_thread=False, factory=FailingConnection
    )
    assert isinstance(conn, FailingConnection)
    conn.fail = list(fail)
    log._writer.close()
    log._writer = conn


def test_a_transaction_left_open_by_a_failed_commit_does_not_block_the_log(
    tmp_path: Path,
) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3")
    _failing_writer(log, "COMMIT", "ROLLBACK")
    assert _refused(log, payload=b"lost").code == "intake_unavailable"
    log.append_blocking(1, 1, b"kept")
    assert [e.payload for e in log.read("ingestion", 100)] == [b"kept"]
    assert log.backlog().events == 1
    log.close()
    with sqlite3.connect(tmp_path / "intake.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_consumer_commit_that_failed_is_written_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake_sqlite, "COMMIT_RETRY_SECONDS", 0.01)
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3", max_backlog=2, max_lag=3600)
    offset = log.append_blocking(1, 2, b"ab")
    _failing_writer(log, "COMMIT")
    log.commit("ingestion", offset, wait=False)  # fails once, then is retried
    deadline = time.monotonic() + 10
    while log.backlog().events:
        assert time.monotonic() < deadline, "the commit was never written"
        time.sleep(0.01)
    assert log.lag() == 0.0
    log.append_blocking(1, 2, b"cd")  # the backlog counter was freed too
    log.close()
