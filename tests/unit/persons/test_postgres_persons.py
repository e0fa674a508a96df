"""What only the PostgreSQL person store has: schema migrations applied on start, person
indexes shared by every worker, erasure, and groups merged by several workers."""

from __future__ import annotations

import threading

import psycopg

from hedgerow.persons.ids import person_uuid
from hedgerow.persons.postgres import PostgresPersonStore
from hedgerow.persons.postgres_groups import PostgresGroupStore
from hedgerow.persons.postgres_schema import MIGRATIONS
from hedgerow.postgres import migrate, open_pool

T = "2026-01-01 00:00:00.000000"


def test_migrations_run_once_and_are_recorded(postgres_url: str) -> None:
    store = PostgresPersonStore(postgres_url)  # applies them
    pool = open_pool(postgres_url, 2, "test")
    try:
        assert migrate(pool, "persons", MIGRATIONS) == 0  # nothing left to apply
        with pool.connection() as conn:
            rows = conn.execute(
                "SELECT component, version FROM hedgerow_migrations ORDER BY version"
            ).fetchall()
        assert rows == [("persons", m.version) for m in MIGRATIONS]
    finally:
        pool.close()
        store.close()


def test_every_worker_gets_the_same_index_for_a_person_id(postgres_url: str) -> None:
    stores = [PostgresPersonStore(postgres_url) for _ in range(3)]
    ids = [person_uuid(1, f"d{n}") for n in range(200)]
    results: list[dict[str, int]] = []
    start = threading.Barrier(len(stores), timeout=30)

    def give(store: PostgresPersonStore, order: list[str]) -> None:
        start.wait()
        results.append(store.indexes(order))

    threads = [
        threading.Thread(target=give, args=(s, ids[n:] + ids[:n]))
        for n, s in zip((0, 70, 140), stores, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert len(results) == 3
        assert results[0] == results[1] == results[2]
        assert len(set(results[0].values())) == len(ids)  # one index per person id
        fresh = PostgresPersonStore(postgres_url)
        assert fresh.indexes(ids[:5]) == {p: results[0][p] for p in ids[:5]}
        fresh.close()
    finally:
        for store in stores:
            store.close()


def test_erase_deletes_every_row_naming_the_person(postgres_url: str) -> None:
    store = PostgresPersonStore(postgres_url)
    try:
        with store.transaction():
            store.mark_personless(1, "anon")
        with store.transaction():
            kept = store.create(1, "kept", properties={}, created_at=T)
            gone = store.create(1, "gone", properties={"email": "g@example.com"}, created_at=T)
            store.attach(gone, "anon")
            store.merge(kept, gone)
        erased = store.erase(1, gone.id)
        assert erased is not None
        assert erased.distinct_ids == ["anon", "gone", "kept"]
        assert set(erased.person_ids) == {gone.id, kept.id, person_uuid(1, "anon")}
        assert store.erase(1, gone.id) is None
        with psycopg.connect(postgres_url) as conn:
            for table in ("persons", "distinct_ids", "personless_ids", "person_overrides"):
                assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
            assert conn.execute("SELECT count(*) FROM override_outbox").fetchone() == (0,)
        assert store.get_by_distinct_id(1, "kept") is None
    finally:
        store.close()


def test_groups_changed_by_two_workers_keep_both_changes(postgres_url: str) -> None:
    first, second = PostgresGroupStore(postgres_url), PostgresGroupStore(postgres_url)
    try:
        with first.transaction():
            index = first.type_index(1, "company", True)
            assert index == 0
            first.upsert(1, 0, "acme", {"plan": "free", "seats": 1}, "2026-01-02")
        # Both workers change the group in transactions open at the same time.
        with first.transaction(), second.transaction():
            assert second.type_index(1, "company", True) == 0
            assert second.type_index(1, "project", True) == 1
            first.upsert(1, 0, "acme", {"plan": "pro"}, "2026-01-03")
            seen = second.upsert(1, 0, "acme", {"seats": 5}, "2026-01-01")
            assert seen.properties == {"plan": "free", "seats": 5}
        group = first.get(1, 0, "acme")
        assert group is not None
        assert group.properties == {"plan": "pro", "seats": 5}
        assert group.created_at == "2026-01-01" and group.version == 2
        assert first.types(1) == {"company": 0, "project": 1}
    finally:
        first.close()
        second.close()
