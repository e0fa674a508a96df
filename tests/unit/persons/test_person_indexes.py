"""Person indexes: the dense integers the person store gives person ids, which events carry
and queries count persons by."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hedgerow.persons.ids import person_uuid
from hedgerow.persons.sqlite import SqlitePersonStore

T = "2026-01-01 00:00:00.000000"


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SqlitePersonStore]:
    """The embedded store only: these tests read its file (PostgreSQL's indexes:
    `test_postgres_persons.py`)."""
    instance = SqlitePersonStore(tmp_path / "persons.sqlite3")
    yield instance
    instance.close()


def _create(store: SqlitePersonStore, distinct_id: str) -> int:
    with store.transaction():
        return store.create(1, distinct_id, properties={}, created_at=T).idx


def test_indexes_are_dense_stable_and_survive_a_restart(tmp_path: Path) -> None:
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    assert [_create(store, d) for d in ("a", "b", "c")] == [1, 2, 3]
    with store.transaction():
        store.prefetch([(1, "b"), (1, "new")])
        found = store.get_by_distinct_id(1, "b")
        assert found is not None and found.idx == 2
        assert store.index_of(person_uuid(1, "new")) == 4  # a personless id's
    store.close()
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    assert _create(store, "d") == 5
    ids = [person_uuid(1, d) for d in ("a", "new", "d")]
    assert store.indexes(ids) == dict(zip(ids, [1, 4, 5], strict=True))
    store.close()


def test_an_index_given_in_a_failed_transaction_is_not_kept(store: SqlitePersonStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        assert store.create(1, "lost", properties={}, created_at=T).idx == 1
        raise RuntimeError("the batch failed")
    assert _create(store, "kept") == 1
    assert _create(store, "lost") == 2  # not the 1 the failed batch had handed out
    ids = [person_uuid(1, "kept"), person_uuid(1, "lost")]
    assert store.indexes(ids) == dict(zip(ids, [1, 2], strict=True))


def test_outbox_rows_from_before_indexes_get_them(store: SqlitePersonStore, tmp_path: Path) -> None:
    kept = _create(store, "kept")
    with sqlite3.connect(tmp_path / "persons.sqlite3") as conn:
        conn.execute(
            "INSERT INTO override_outbox (team_id, old_person_id, person_id, version) "
            "VALUES (1, ?, ?, 1)",
            (person_uuid(1, "gone"), person_uuid(1, "kept")),
        )
    [(_, override)] = store.pending_overrides()
    assert (override.old_person_idx, override.person_idx) == (kept + 1, kept)


def test_persons_stored_before_indexes_get_one_when_next_seen(tmp_path: Path) -> None:
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    _create(store, "old")
    store.close()
    with sqlite3.connect(tmp_path / "persons.sqlite3") as conn:
        conn.execute("DELETE FROM person_index")
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    with store.transaction():
        store.prefetch([(1, "old")])
        found = store.get_by_distinct_id(1, "old")
        assert found is not None and found.idx == 1
    assert store.indexes([person_uuid(1, "old")]) == {person_uuid(1, "old"): 1}
    store.close()


ODD_IDS = ['quote"d', "back\\slash", "ünïcødé ✓ 🦔", "tab\tnew\nline", "x" * 5000, "'; DROP"]


def test_a_batchs_writes_keep_odd_ids_and_properties_exactly(tmp_path: Path) -> None:
    # The batch's rows reach SQLite as one JSON array (`sqlite_rows.insert_rows`).
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    props = {"name": 'Zoë "Z" \\o/', "n": 2**53 + 1, "ok": True, "none": None, "f": 1.5}
    with store.transaction():
        for distinct_id in ODD_IDS:
            store.create(1, distinct_id, properties=dict(props), created_at=T)
    store.close()
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    for distinct_id in ODD_IDS:
        person = store.get_by_distinct_id(1, distinct_id)
        assert person is not None and person.id == person_uuid(1, distinct_id)
        assert person.properties == props
        assert store.distinct_ids(1, person.id) == [distinct_id]
    ids = [person_uuid(1, d) for d in ODD_IDS]
    assert store.indexes(ids) == {pid: n for n, pid in enumerate(ids, start=1)}
    store.close()
