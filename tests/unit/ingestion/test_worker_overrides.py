"""Merges fix past events: overrides keyed by the merged-away person, their chains, the
rewrite that squashes them, the person indexes persons are counted by, and stores written
by earlier versions (overrides keyed by distinct id, no person indexes)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from worker_stores import Workers, append, intake_record

from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.query.core import person_key_source
from hedgerow.query.events_query import run_events_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.upgrades import upgrade_stores


@pytest.fixture()
def worker(workers: Workers) -> IngestionWorker:
    return workers.open()


def _send(worker: IngestionWorker, *events: tuple[str, str, dict[str, Any]]) -> None:
    first = worker.state.outcomes(1)["received"]
    append(
        worker,
        *(
            intake_record(first + i, name, distinct_id, properties)
            for i, (name, distinct_id, properties) in enumerate(events)
        ),
    )
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


def test_overrides_kept_by_distinct_id_are_applied_once_on_upgrade(
    tmp_path: Path, workers: Workers
) -> None:
    worker = workers.open()
    _send(worker, ("seen", "old-anon", {}), ("seen", "old-user", {}))
    workers.close(worker)
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


# -- person indexes: what persons are counted by -------------------------------------------


def _indexes(worker: IngestionWorker, event: str | None = None) -> dict[str, set[int]]:
    """distinct_id -> the person indexes stored on its events (of one name, if given)."""
    where = "WHERE event = {event:String}" if event else ""
    rows = worker.events.query(
        f"SELECT distinct_id, groupUniqArray(person_idx) FROM hedgerow.events {where} "
        "GROUP BY distinct_id",
        {"event": event} if event else {},
    ).rows
    return {row[0]: {int(i) for i in row[1]} for row in rows}


def _unique_persons(worker: IngestionWorker, event: str) -> int:
    """How many persons the events count as, as trends and funnels count them."""
    key = person_key_source(worker.events, 1)
    rows = worker.events.query(
        f"SELECT uniqExact({key}) FROM hedgerow.events WHERE team_id = 1 AND event = '{event}'"
    ).rows
    return int(rows[0][0])


def test_events_carry_their_persons_dense_index(worker: IngestionWorker) -> None:
    _send(worker, ("seen", "a", {}), ("seen", "b", {}), ("seen", "a", {}))
    _send(worker, ("seen", "c", {"$process_person_profile": False}), ("seen", "b", {}))
    assert _indexes(worker) == {"a": {1}, "b": {2}, "c": {3}}  # personless ids get one too
    ids = [person_uuid(1, d) for d in "abc"]
    assert worker.persons.indexes(ids) == dict(zip(ids, [1, 2, 3], strict=True))


def test_the_person_map_by_index_follows_merges_until_the_squash(
    worker: IngestionWorker, tmp_path: Path
) -> None:
    _send(worker, ("seen", "a", {}), ("seen", "b", {}), ("seen", "c", {}))
    assert _unique_persons(worker, "seen") == 3
    _send(worker, ("$create_alias", "b", {"alias": "a"}))  # a's person merged into b's
    assert _unique_persons(worker, "seen") == 2  # the map is in use from here
    _send(worker, ("$merge_dangerously", "c", {"alias": "b"}))  # b's into c's
    assert _indexes(worker, "seen") == {"a": {1}, "b": {2}, "c": {3}}  # not rewritten yet
    assert _unique_persons(worker, "seen") == 1  # the map was reloaded with the new merge
    overrides = worker.events.query(
        "SELECT old_person_idx, argMax(person_idx, version) FROM hedgerow.person_id_overrides "
        "GROUP BY old_person_idx ORDER BY old_person_idx"
    ).rows
    assert overrides == [[1, 3], [2, 3]]
    worker.events.close()  # the map is loaded again from the overrides when reopened
    worker.events = ChdbEventStore(tmp_path / "events.chdb")
    assert _unique_persons(worker, "seen") == 1
    assert worker.events.squash_overrides() == 2
    assert _indexes(worker, "seen") == {"a": {3}, "b": {3}, "c": {3}}
    assert person_key_source(worker.events, 1) == "person_idx"  # nothing left to map
    assert _unique_persons(worker, "seen") == 1


def test_a_personless_ids_index_becomes_its_persons(worker: IngestionWorker) -> None:
    # anon-1's events are stored personless; then it identifies as alice, which has no
    # person: the one person created for both takes anon-1's id, and so its index.
    _send(worker, ("browsed", "anon-1", {"$process_person_profile": False}))
    _send(worker, ("$identify", "alice", {"$anon_distinct_id": "anon-1"}))
    _send(worker, ("browsed", "alice", {}))
    assert worker.events.override_count(1) == 0
    assert _indexes(worker, "browsed") == {"anon-1": {1}, "alice": {1}}
    assert _unique_persons(worker, "browsed") == 1


def test_a_personless_id_joining_a_person_is_mapped_by_index(worker: IngestionWorker) -> None:
    _send(worker, ("browsed", "alice", {}))
    _send(worker, ("browsed", "anon-1", {"$process_person_profile": False}))
    _send(worker, ("$identify", "alice", {"$anon_distinct_id": "anon-1"}))
    assert _indexes(worker, "browsed") == {"alice": {1}, "anon-1": {2}}
    assert _unique_persons(worker, "browsed") == 1


def test_stores_from_before_person_indexes_get_them_at_start(
    tmp_path: Path, workers: Workers
) -> None:
    worker = workers.open()
    _send(
        worker,
        ("seen", "a", {}),
        ("seen", "b", {}),
        ("seen", "p", {"$process_person_profile": False}),
    )
    _send(worker, ("$create_alias", "b", {"alias": "a"}))  # an override waits for its squash
    workers.close(worker)
    # Take the stores back to the former format: no index column on events or overrides, no
    # index table in the person store, no first-seen projection (it reads the index).
    events = ChdbEventStore(tmp_path / "events.chdb")
    events.query("ALTER TABLE hedgerow.events DROP PROJECTION first_seen")
    for table, column in (
        ("events", "person_idx"),
        ("person_id_overrides", "old_person_idx"),
        ("person_id_overrides", "person_idx"),
    ):
        events.query(f"ALTER TABLE hedgerow.{table} DROP COLUMN {column}")
    events.query("DROP TABLE hedgerow.migrations")
    events.close()
    with sqlite3.connect(tmp_path / "persons.sqlite3") as conn:
        conn.execute("DROP TABLE person_index")

    events = ChdbEventStore(tmp_path / "events.chdb")
    persons = SqlitePersonStore(tmp_path / "persons.sqlite3")
    assert set(events.unindexed_person_ids()) == {person_uuid(1, d) for d in "abp"}
    upgrade_stores(persons, events)
    assert events.unindexed_person_ids() == []
    stored = events.query(
        "SELECT toString(person_id), groupUniqArray(person_idx) FROM hedgerow.events "
        "GROUP BY person_id"
    ).rows
    given = persons.indexes([row[0] for row in stored])
    assert {row[0]: row[1] for row in stored} == {pid: [idx] for pid, idx in given.items()}
    assert sorted(given.values()) == [1, 2, 3]
    overrides = events.query(
        "SELECT old_person_idx, person_idx FROM hedgerow.person_id_overrides"
    ).rows
    a, b = (person_uuid(1, d) for d in "ab")
    assert overrides == [[given[a], given[b]]]
    persons.close()
    events.close()
    # The upgraded stores ingest on: a known person keeps the index the upgrade gave it.
    worker = workers.open()
    _send(worker, ("later", "a", {}), ("later", "b", {}), ("later", "q", {}))
    later = _indexes(worker, "later")
    assert later["a"] == later["b"] == {given[b]}
    assert later["q"] == {4}
    assert _unique_persons(worker, "seen") == 2  # a's and b's events are one person
    workers.close(worker)
