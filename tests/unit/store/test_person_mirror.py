"""Person changes reach the event store's person tables, merges included."""

from __future__ import annotations

from pathlib import Path

from store_kinds import OpenStore

from hedgerow.persons.identity import unite
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.store.chdb import ChdbEventStore

T = "2026-01-01 00:00:00.000000"


def _publish(persons: SqlitePersonStore, events: ChdbEventStore) -> None:
    events.mirror_persons(persons.take_mirror())
    while overrides := persons.pending_overrides():
        events.insert_overrides([o for _, o in overrides])
        persons.clear_overrides(overrides[-1][0])


def test_mirror_follows_creates_updates_and_merges(tmp_path: Path, open_store: OpenStore) -> None:
    persons = SqlitePersonStore(tmp_path / "persons.sqlite3")
    events = open_store()
    with persons.transaction():
        alice = persons.create(1, "alice", properties={"plan": "pro"}, created_at=T)
        anon = persons.create(1, "anon", properties={"seen": 1}, created_at=T)
    with persons.transaction():
        unite(persons, 1, "alice", "anon", dangerous=False, created_at=T)
    _publish(persons, events)

    current = events.query(
        "SELECT toString(id), argMax(properties, version), argMax(is_identified, version), "
        "argMax(is_deleted, version) FROM hedgerow.persons GROUP BY id ORDER BY id"
    ).rows
    assert sorted(current) == sorted(
        [
            [alice.id, '{"seen":1,"plan":"pro"}', 1, 0],
            [anon.id, "{}", 0, 1],
        ]
    )
    mapping = events.query(
        "SELECT distinct_id, toString(argMax(person_id, version)) FROM "
        "hedgerow.person_distinct_ids GROUP BY distinct_id ORDER BY distinct_id"
    ).rows
    assert mapping == [["alice", alice.id], ["anon", alice.id]]
    assert events.override_count(1) == 1
    assert persons.take_mirror() == [] and persons.pending_overrides() == []
    persons.close()
    events.close()


def test_each_committed_change_is_handed_over_once(tmp_path: Path) -> None:
    persons = SqlitePersonStore(tmp_path / "persons.sqlite3")
    with persons.transaction():
        persons.create(1, "first", properties={}, created_at=T)
    first = persons.take_mirror()
    assert [(r.kind, r.distinct_id) for r in first] == [("person", ""), ("distinct_id", "first")]
    with persons.transaction():
        persons.create(1, "second", properties={}, created_at=T)
    second = persons.take_mirror()
    assert [r.distinct_id for r in second if r.kind == "distinct_id"] == ["second"]
    assert len(second) == 2
    # A rolled-back transaction hands over nothing, and does not resurface later.
    try:
        with persons.transaction():
            persons.create(1, "rolled-back", properties={}, created_at=T)
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    with persons.transaction():
        pass
    assert persons.take_mirror() == []
    persons.close()
