from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from hedgerow.errors import ServiceUnavailable
from hedgerow.intake.sqlite import SqliteIntakeLog


def test_append_read_commit_and_reopen(tmp_path: Path) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3")
    offsets = [log.append_blocking(1, 2, f"entry{i}".encode()) for i in range(5)]
    assert offsets == sorted(offsets)
    batch = log.read("ingestion", max_events=6)
    assert [e.payload for e in batch] == [b"entry0", b"entry1", b"entry2"]
    assert log.backlog().events == 10
    log.commit("ingestion", batch[-1].offset)
    assert log.backlog().events == 4
    assert log.backlog(team_id=2).events == 0
    log.close()

    reopened = SqliteIntakeLog(tmp_path / "intake.sqlite3")
    rest = reopened.read("ingestion", max_events=100)
    assert [e.payload for e in rest] == [b"entry3", b"entry4"]
    assert reopened.read_range(rest[0].offset, rest[0].offset) == rest[:1]
    assert reopened.backlog().events == 4
    reopened.close()


def test_read_returns_an_entry_larger_than_the_batch(tmp_path: Path) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3")
    log.append_blocking(1, 50, b"big")
    assert [e.count for e in log.read("ingestion", max_events=10)] == [50]
    log.close()


def test_read_fills_the_batch_across_many_small_entries(tmp_path: Path) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3")
    for i in range(2500):
        log.append_blocking(1, 1, f"e{i}".encode())
    first = log.read("ingestion", max_events=2000)
    assert [e.payload for e in first] == [f"e{i}".encode() for i in range(2000)]
    log.commit("ingestion", first[-1].offset)
    rest = log.read("ingestion", max_events=2000)
    assert [e.payload for e in rest] == [f"e{i}".encode() for i in range(2000, 2500)]
    log.commit("ingestion", rest[-1].offset)
    assert log.read("ingestion", max_events=2000) == []
    log.close()


def test_concurrent_appends_share_commits(tmp_path: Path) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3")

    async def many() -> list[int]:
        return await asyncio.gather(*(log.append(1, 1, b"x") for _ in range(500)))

    offsets = asyncio.run(many())
    assert len(set(offsets)) == 500
    assert log.group_commits < 500  # several appends per fsync'd transaction
    assert log.backlog().events == 500
    log.close()


def test_full_backlog_answers_503(tmp_path: Path) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3", max_backlog=10)
    log.append_blocking(1, 8, b"x")
    with pytest.raises(ServiceUnavailable) as refused:
        log.append_blocking(1, 5, b"y")
    assert refused.value.code == "intake_full"
    assert refused.value.status == 503
    log.commit("ingestion", log.read("ingestion", 100)[-1].offset)
    log.append_blocking(1, 5, b"y")  # room again once ingestion caught up
    log.close()


def test_disk_full_answers_503_and_keeps_nothing(tmp_path: Path) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3")
    log.append_blocking(1, 1, b"small")
    pages = log._writer.execute("PRAGMA page_count").fetchone()[0]
    log._writer.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(ServiceUnavailable) as refused:
        log.append_blocking(1, 1, b"z" * 100_000)
    assert refused.value.code == "intake_unavailable"
    assert [e.payload for e in log.read("ingestion", 100)] == [b"small"]
    assert log.backlog().events == 1
    log.close()
    with sqlite3.connect(tmp_path / "intake.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM entries").fetchone() == (1,)


def test_a_commit_not_waited_for_is_seen_at_once_and_written(tmp_path: Path) -> None:
    log = SqliteIntakeLog(tmp_path / "intake.sqlite3")
    for i in range(4):
        log.append_blocking(1, 1, f"entry{i}".encode())
    first = log.read("ingestion", max_events=2)
    log.commit("ingestion", first[-1].offset, wait=False)
    # The next read starts after the commit even if the writer has not written it yet.
    assert log.committed("ingestion") == first[-1].offset
    assert [e.payload for e in log.read("ingestion", max_events=10)] == [b"entry2", b"entry3"]
    log.close()  # the writer drains its queue: the commit is on disk

    reopened = SqliteIntakeLog(tmp_path / "intake.sqlite3")
    assert reopened.committed("ingestion") == first[-1].offset
    assert reopened.backlog().events == 2
    reopened.close()
