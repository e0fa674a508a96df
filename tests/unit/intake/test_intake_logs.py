"""What every intake log does, run against the embedded SQLite log and JetStream (a real
nats-server of the test's own)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hedgerow.intake.jetstream import JetStreamIntakeLog
from hedgerow.intake.sqlite import SqliteIntakeLog
from nats_server import NatsServer

Opener = Callable[..., Any]


@pytest.fixture(params=["sqlite", "jetstream"])
def open_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the log (again: the same file or stream) and closes what it opened."""
    opened: list[Any] = []
    if request.param == "sqlite":

        def opener(**options: Any) -> Any:
            opened.append(SqliteIntakeLog(tmp_path / "intake.sqlite3", **options))
            return opened[-1]

        yield opener
    else:
        nats = NatsServer(tmp_path / "nats").start()

        def opener(**options: Any) -> Any:
            opened.append(JetStreamIntakeLog(nats.url, **options))
            return opened[-1]

        yield opener
    for log in opened:
        log.close()
    if request.param == "jetstream":
        nats.stop()


def _payload(name: str) -> bytes:
    return json.dumps([{"uuid": name, "event": "e"}]).encode()


def test_append_read_commit_and_reopen(open_log: Opener) -> None:
    log = open_log()
    assert log.head() == 0
    offsets = [log.append_blocking(1, 2, _payload(f"entry{i}")) for i in range(5)]
    assert offsets == sorted(set(offsets))
    assert log.head() == offsets[-1]
    batch = log.read("ingestion", max_events=6)
    assert [e.payload for e in batch] == [_payload(f"entry{i}") for i in range(3)]
    assert log.backlog().events == 10
    assert log.backlog(team_id=1).oldest_appended_at is not None
    log.commit("ingestion", batch[-1].offset)
    assert log.backlog().events == 4
    assert log.backlog(team_id=2).events == 0
    log.close()

    reopened = open_log()
    assert reopened.committed("ingestion") == batch[-1].offset
    rest = reopened.read("ingestion", max_events=100)
    assert [e.payload for e in rest] == [_payload("entry3"), _payload("entry4")]
    assert reopened.read_range(rest[0].offset, rest[0].offset) == rest[:1]
    assert reopened.backlog().events == 4
    assert reopened.head() == offsets[-1]  # the newest offset, whatever was handled


def test_backlog_per_team(open_log: Opener) -> None:
    log = open_log()
    log.append_blocking(1, 3, _payload("a"))
    log.append_blocking(2, 5, _payload("b"))
    log.append_blocking(1, 1, _payload("c"))
    assert log.backlog().events == 9
    assert log.backlog(team_id=1).events == 4
    assert log.backlog(team_id=2).events == 5
    assert log.backlog(team_id=3).events == 0


def test_read_returns_an_entry_larger_than_the_batch(open_log: Opener) -> None:
    log = open_log()
    log.append_blocking(1, 50, _payload("big"))
    assert [e.count for e in log.read("ingestion", max_events=10)] == [50]


def test_read_fills_the_batch_across_many_small_entries(open_log: Opener) -> None:
    log = open_log()
    for i in range(2500):
        log.append_blocking(1, 1, _payload(f"e{i}"))
    first = log.read("ingestion", max_events=2000)
    assert [e.payload for e in first] == [_payload(f"e{i}") for i in range(2000)]
    log.commit("ingestion", first[-1].offset)
    rest = log.read("ingestion", max_events=2000)
    assert [e.payload for e in rest] == [_payload(f"e{i}") for i in range(2000, 2500)]
    log.commit("ingestion", rest[-1].offset)
    assert log.read("ingestion", max_events=2000) == []


def test_reading_ahead_of_the_commit_and_replaying_a_range(open_log: Opener) -> None:
    """The worker reads the next batch before the one in flight is committed, and after a
    crash replays a recorded range."""
    log = open_log()
    offsets = [log.append_blocking(1, 1, _payload(f"e{i}")) for i in range(6)]
    first = log.read("ingestion", max_events=2)
    second = log.read("ingestion", max_events=2, after=first[-1].offset)
    assert [e.offset for e in first + second] == offsets[:4]
    replay = log.read_range(offsets[1], offsets[3])
    assert [e.payload for e in replay] == [_payload(f"e{i}") for i in (1, 2, 3)]
    assert [e.offset for e in log.read("ingestion", max_events=10)] == offsets  # uncommitted


def test_concurrent_appends_get_distinct_offsets(open_log: Opener) -> None:
    log = open_log()

    async def many() -> list[int]:
        return await asyncio.gather(*(log.append(1, 1, _payload(f"c{i}")) for i in range(300)))

    offsets = asyncio.run(many())
    assert len(set(offsets)) == 300
    assert log.backlog().events == 300


def test_a_commit_not_waited_for_is_seen_at_once_and_written(open_log: Opener) -> None:
    log = open_log()
    for i in range(4):
        log.append_blocking(1, 1, _payload(f"entry{i}"))
    first = log.read("ingestion", max_events=2)
    log.commit("ingestion", first[-1].offset, wait=False)
    assert log.committed("ingestion") == first[-1].offset
    assert [e.payload for e in log.read("ingestion", max_events=10)] == [
        _payload("entry2"),
        _payload("entry3"),
    ]
    log.close()  # pending writes are finished on close

    reopened = open_log()
    assert reopened.committed("ingestion") == first[-1].offset
    assert reopened.backlog().events == 2
