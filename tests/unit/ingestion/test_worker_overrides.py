"""Merges fix past events: overrides keyed by the merged-away person, their chains, the
rewrite that squashes them, and stores written when overrides were keyed by distinct id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from hedgerow.ingestion.state import IngestionState
from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.intake.sqlite import SqliteIntakeLog
from hedgerow.persons.groups import SqliteGroupStore
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.query.events_query import run_events_query
from hedgerow.store.chdb import ChdbEventStore


def _open(data: Path) -> IngestionWorker:
    return IngestionWorker(
        SqliteIntakeLog(data / "intake.sqlite3"),
        IngestionState(data / "ingestion.sqlite3"),
        SqlitePersonStore(data / "persons.sqlite3"),
        ChdbEventStore(data / "events.chdb"),
        SqliteGroupStore(data / "groups.sqlite3"),
        squash_interval=0,
    )


def _close(worker: IngestionWorker) -> None:
    for part in (worker.intake, worker.state, worker.persons, worker.events, worker.groups):
        part.close()


@pytest.fixture()
def worker(tmp_path: Path) -> Iterator[IngestionWorker]:
    instance = _open(tmp_path)
    yield instance
    _close(instance)


def _send(worker: IngestionWorker, *events: tuple[str, str, dict[str, Any]]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    records = [
        {
            "uuid": f"00000000-0000-7000-8000-{worker.state.outcomes(1)['received'] + i:012d}",
            "event": name,
            "distinct_id": distinct_id,
            "properties": properties,
            "timestamp": now,
            "now": now,
            "sent_at": None,
        }
        for i, (name, distinct_id, properties) in enumerate(events)
    ]
    worker.intake.append_blocking(1, len(records), orjson.dumps(records))
    while worker.run_once():
        pass


def _persons_by_id(worker: IngestionWorker) -> dict[str, str]:
    result = run_events_query(
        worker.events,
        1,
        {"kind": "EventsQuery", "select": ["distinct_id", "person_id"], "limit": 100},
    )
    return {row[0]: row[1] for row in result["results"]}


def test_a_chain_of_merges_counts_every_past_event_as_the_last_person(
    worker: IngestionWorker, tmp_path: Path
) -> None:
    _send(worker, ("seen", "a", {}), ("seen", "b", {}), ("seen", "c", {}))
    a, b, c = (person_uuid(1, d) for d in "abc")
    assert _persons_by_id(worker) == {"a": a, "b": b, "c": c}
    _send(worker, ("$create_alias", "b", {"alias": "a"}))  # a's person merged into b's
    _send(worker, ("$merge_dangerously", "c", {"alias": "b"}))  # b's into c's
    assert worker.events.override_count(1) == 2  # a's and b's persons, both now → c
    assert set(_persons_by_id(worker).values()) == {c}
    stored = worker.events.query(
        "SELECT DISTINCT toString(person_id) FROM hedgerow.events WHERE event = 'seen'"
    ).rows
    assert sorted(r[0] for r in stored) == sorted([a, b, c])  # not rewritten yet
    # The in-memory map the queries read is rebuilt when the store opens again.
    worker.events.close()
    worker.events = ChdbEventStore(tmp_path / "events.chdb")
    assert set(_persons_by_id(worker).values()) == {c}

    assert worker.events.squash_overrides() == 2
    assert worker.events.override_count(1) == 0
    stored = worker.events.query(
        "SELECT DISTINCT toString(person_id) FROM hedgerow.events WHERE event = 'seen'"
    ).rows
    assert stored == [[c]]
    assert set(_persons_by_id(worker).values()) == {c}


def test_events_stored_personless_count_as_the_person_their_id_joins(
    worker: IngestionWorker,
) -> None:
    _send(worker, ("signed_up", "alice", {}))
    _send(worker, ("browsed", "anon-1", {"$process_person_profile": False}))
    _send(worker, ("$identify", "alice", {"$anon_distinct_id": "anon-1"}))
    assert worker.events.override_count(1) == 1
    assert set(_persons_by_id(worker).values()) == {person_uuid(1, "alice")}


def test_overrides_kept_by_distinct_id_are_applied_once_on_upgrade(tmp_path: Path) -> None:
    worker = _open(tmp_path)
    _send(worker, ("seen", "old-anon", {}), ("seen", "old-user", {}))
    _close(worker)
    # A store of the former format: its override map was keyed by distinct id.
    events = ChdbEventStore(tmp_path / "events.chdb")
    events.query(
        "CREATE TABLE hedgerow.person_overrides (team_id Int64, distinct_id String, "
        "person_id UUID, version Int64) ENGINE = ReplacingMergeTree(version) "
        "ORDER BY (team_id, distinct_id)"
    )
    target = person_uuid(1, "old-user")
    events.query(f"INSERT INTO hedgerow.person_overrides VALUES (1, 'old-anon', '{target}', 1)")
    events.close()

    reopened = ChdbEventStore(tmp_path / "events.chdb")
    stored = reopened.query("SELECT DISTINCT toString(person_id) FROM hedgerow.events").rows
    assert stored == [[target]]
    left = reopened.query(
        "SELECT count() FROM system.tables WHERE database = 'hedgerow' "
        "AND name = 'person_overrides'"
    ).rows
    assert left == [[0]]
    reopened.close()


def test_a_batchs_overrides_reach_the_event_store_with_its_events(
    worker: IngestionWorker,
) -> None:
    _send(worker, ("$pageview", "anon", {}), ("Signed up", "alice", {}))
    _send(worker, ("$identify", "alice", {"$anon_distinct_id": "anon"}))
    # When the batch is done, nothing is left in the outbox and queries already count the
    # anonymous event as alice's person.
    assert worker.persons.pending_overrides() == []
    assert worker.events.override_count(1) == 1
    persons = _persons_by_id(worker)
    assert persons["anon"] == persons["alice"] == person_uuid(1, "alice")


def test_a_failed_person_mirror_insert_is_retried(
    worker: IngestionWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = worker.events.mirror_persons
    failures = []

    def failing(rows: Any) -> None:
        failures.append(len(rows))
        raise RuntimeError("the event store is away")

    monkeypatch.setattr(worker.events, "mirror_persons", failing)
    _send(worker, ("$pageview", "mirror-1", {"$set": {"plan": "pro"}}))
    worker.publish_mirror(force=True)  # fails: the rows are kept
    assert failures and failures[0] > 0
    monkeypatch.setattr(worker.events, "mirror_persons", original)
    worker.publish_mirror(force=True)
    rows = worker.events.query(
        "SELECT argMax(properties, version) FROM hedgerow.persons WHERE id = {id:UUID}",
        {"id": person_uuid(1, "mirror-1")},
    ).rows
    assert [orjson.loads(row[0]) for row in rows] == [{"plan": "pro"}]
