from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hedgerow.persons.groups import Group, SqliteGroupStore


@pytest.fixture()
def store(tmp_path: Path) -> SqliteGroupStore:
    return SqliteGroupStore(tmp_path / "groups.sqlite3")


def test_type_indexes_in_order_of_first_appearance(store: SqliteGroupStore) -> None:
    with store.transaction():
        assert store.type_index(1, "company", True) == 0
        assert store.type_index(1, "project", True) == 1
        assert store.type_index(1, "company", True) == 0
        assert store.types(1) == {"company": 0, "project": 1}
    assert store.types(1) == {"company": 0, "project": 1}
    store.close()


def test_lookup_without_create_does_not_create(store: SqliteGroupStore) -> None:
    with store.transaction():
        assert store.type_index(1, "company", False) is None
        assert store.type_index(1, "company", True) == 0
        assert store.type_index(1, "company", False) == 0
        assert store.type_index(1, "team", False) is None
    assert store.types(1) == {"company": 0}
    store.close()


def test_projects_have_their_own_indexes(store: SqliteGroupStore) -> None:
    with store.transaction():
        assert store.type_index(1, "company", True) == 0
        assert store.type_index(2, "project", True) == 0
        assert store.type_index(2, "company", True) == 1
    assert store.types(1) == {"company": 0}
    assert store.types(2) == {"project": 0, "company": 1}
    assert store.types(3) == {}
    store.close()


def test_at_most_five_types_per_project(store: SqliteGroupStore) -> None:
    with store.transaction():
        for i in range(5):
            assert store.type_index(1, f"t{i}", True) == i
        assert store.type_index(1, "sixth", True) is None
        assert store.type_index(1, "t3", True) == 3
        assert store.type_index(2, "other", True) == 0
    assert store.type_index(1, "sixth", True) is None
    assert store.types(1) == {f"t{i}": i for i in range(5)}
    store.close()


def test_types_survive_reopening(tmp_path: Path) -> None:
    store = SqliteGroupStore(tmp_path / "groups.sqlite3")
    with store.transaction():
        store.type_index(1, "company", True)
        store.type_index(1, "project", True)
    store.close()
    reopened = SqliteGroupStore(tmp_path / "groups.sqlite3")
    assert reopened.types(1) == {"company": 0, "project": 1}
    with reopened.transaction():
        assert reopened.type_index(1, "project", True) == 1
        assert reopened.type_index(1, "team", True) == 2
    reopened.close()


def test_upsert_creates_then_merges_with_set_semantics(store: SqliteGroupStore) -> None:
    with store.transaction():
        created = store.upsert(
            1, 0, "acme", {"name": "Acme", "plan": "free"}, "2026-01-02 00:00:00.000000"
        )
        assert created == Group(
            1, 0, "acme", {"name": "Acme", "plan": "free"}, "2026-01-02 00:00:00.000000", 0
        )
        merged = store.upsert(
            1, 0, "acme", {"plan": "pro", "seats": 5}, "2026-01-03 00:00:00.000000"
        )
    assert merged == Group(
        1, 0, "acme", {"name": "Acme", "plan": "pro", "seats": 5}, "2026-01-02 00:00:00.000000", 1
    )
    assert store.get(1, 0, "acme") == merged
    with store.transaction():
        again = store.upsert(1, 0, "acme", {"seats": 6}, "2026-01-04 00:00:00.000000")
    assert again.version == 2
    assert store.get(1, 0, "acme") == Group(
        1,
        0,
        "acme",
        {"name": "Acme", "plan": "pro", "seats": 6},
        "2026-01-02 00:00:00.000000",
        2,
    )
    store.close()


def test_unchanged_upsert_keeps_version(store: SqliteGroupStore) -> None:
    with store.transaction():
        store.upsert(1, 0, "acme", {"seats": 1}, "2026-01-02 00:00:00.000000")
    with store.transaction():
        same = store.upsert(1, 0, "acme", {"seats": 1}, "2026-01-03 00:00:00.000000")
        assert same.version == 0
        changed_type = store.upsert(1, 0, "acme", {"seats": True}, "2026-01-03 00:00:00.000000")
        assert changed_type.properties == {"seats": True}
        assert changed_type.version == 1
    store.close()


def test_earliest_created_at_is_kept(store: SqliteGroupStore) -> None:
    with store.transaction():
        store.upsert(1, 0, "acme", {}, "2026-01-05 00:00:00.000000")
    with store.transaction():
        store.upsert(1, 0, "acme", {}, "2026-01-01 00:00:00.000000")
    group = store.get(1, 0, "acme")
    assert group is not None
    assert group.created_at == "2026-01-01 00:00:00.000000"
    assert group.version == 1
    store.close()


def test_groups_are_keyed_by_project_index_and_key(store: SqliteGroupStore) -> None:
    with store.transaction():
        store.upsert(1, 0, "acme", {"a": 1}, "2026-01-01 00:00:00.000000")
        store.upsert(1, 1, "acme", {"b": 2}, "2026-01-01 00:00:00.000000")
        store.upsert(2, 0, "acme", {"c": 3}, "2026-01-01 00:00:00.000000")
    assert [store.get(t, i, "acme") for t, i in [(1, 0), (1, 1), (2, 0)]] == [
        Group(1, 0, "acme", {"a": 1}, "2026-01-01 00:00:00.000000"),
        Group(1, 1, "acme", {"b": 2}, "2026-01-01 00:00:00.000000"),
        Group(2, 0, "acme", {"c": 3}, "2026-01-01 00:00:00.000000"),
    ]
    assert store.get(1, 2, "acme") is None
    assert store.get(1, 0, "other") is None
    store.close()


def test_group_properties_survive_reopening(tmp_path: Path) -> None:
    store = SqliteGroupStore(tmp_path / "groups.sqlite3")
    with store.transaction():
        index = store.type_index(1, "company", True)
        assert index == 0
        store.upsert(
            1,
            index,
            "acme",
            {"name": "Acme", "tags": ["a", "b"], "n": None},
            "2026-01-01 00:00:00.000000",
        )
    store.close()
    reopened = SqliteGroupStore(tmp_path / "groups.sqlite3")
    assert reopened.get(1, 0, "acme") == Group(
        1,
        0,
        "acme",
        {"name": "Acme", "tags": ["a", "b"], "n": None},
        "2026-01-01 00:00:00.000000",
    )
    reopened.close()


def test_writes_wait_for_the_end_of_the_transaction(tmp_path: Path) -> None:
    store = SqliteGroupStore(tmp_path / "groups.sqlite3")
    seen_by_other_thread: list[object] = []

    def read_from_elsewhere() -> None:
        seen_by_other_thread.append(store.get(1, 0, "acme"))
        seen_by_other_thread.append(store.types(1))

    with store.transaction():
        store.type_index(1, "company", True)
        store.upsert(1, 0, "acme", {"name": "Acme"}, "2026-01-01 00:00:00.000000")
        assert store.get(1, 0, "acme") == Group(
            1, 0, "acme", {"name": "Acme"}, "2026-01-01 00:00:00.000000"
        )
        assert store.types(1) == {"company": 0}
        reader = threading.Thread(target=read_from_elsewhere)
        reader.start()
        reader.join()
    assert seen_by_other_thread == [None, {}]
    assert store.types(1) == {"company": 0}
    store.close()


def test_nothing_is_persisted_when_the_transaction_raises(tmp_path: Path) -> None:
    store = SqliteGroupStore(tmp_path / "groups.sqlite3")
    with store.transaction():
        store.type_index(1, "company", True)
        store.upsert(1, 0, "acme", {"plan": "free"}, "2026-01-01 00:00:00.000000")
    with pytest.raises(RuntimeError), store.transaction():
        assert store.type_index(1, "project", True) == 1
        store.upsert(1, 0, "acme", {"plan": "pro"}, "2026-01-02 00:00:00.000000")
        store.upsert(1, 1, "p1", {"x": 1}, "2026-01-02 00:00:00.000000")
        raise RuntimeError("batch failed")
    assert store.get(1, 0, "acme") == Group(
        1, 0, "acme", {"plan": "free"}, "2026-01-01 00:00:00.000000"
    )
    assert store.get(1, 1, "p1") is None
    assert store.types(1) == {"company": 0}
    with store.transaction():
        assert store.type_index(1, "team", True) == 1
    store.close()
    reopened = SqliteGroupStore(tmp_path / "groups.sqlite3")
    assert reopened.types(1) == {"company": 0, "team": 1}
    assert reopened.get(1, 0, "acme") == Group(
        1, 0, "acme", {"plan": "free"}, "2026-01-01 00:00:00.000000"
    )
    assert reopened.get(1, 1, "p1") is None
    reopened.close()


def test_writes_outside_a_transaction_commit_at_once(tmp_path: Path) -> None:
    store = SqliteGroupStore(tmp_path / "groups.sqlite3")
    assert store.type_index(1, "company", True) == 0
    store.upsert(1, 0, "acme", {"name": "Acme"}, "2026-01-01 00:00:00.000000")
    store.close()
    reopened = SqliteGroupStore(tmp_path / "groups.sqlite3")
    assert reopened.types(1) == {"company": 0}
    assert reopened.get(1, 0, "acme") == Group(
        1, 0, "acme", {"name": "Acme"}, "2026-01-01 00:00:00.000000"
    )
    reopened.close()


def test_returned_groups_are_copies(store: SqliteGroupStore) -> None:
    with store.transaction():
        group = store.upsert(1, 0, "acme", {"a": 1}, "2026-01-01 00:00:00.000000")
        group.properties["a"] = 2
        fetched = store.get(1, 0, "acme")
        assert fetched is not None and fetched.properties == {"a": 1}
        fetched.properties["b"] = 3
    assert store.get(1, 0, "acme") == Group(1, 0, "acme", {"a": 1}, "2026-01-01 00:00:00.000000")
    store.close()
