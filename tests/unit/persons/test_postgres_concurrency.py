"""Several ingestion workers on one PostgreSQL person store: each worker is a store of its own
(its own pool of connections) in a thread of its own, as `hedgerow ingest` processes would be.
Merges of the same persons from both sides end on one person with every distinct id and the
right overrides, whatever the interleaving; a deadlock fails one batch, which is replayed."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from hedgerow.persons.identity import unite
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.postgres import PostgresPersonStore
from hedgerow.persons.store import MirrorRow

T = "2026-01-01 00:00:00.000000"


@pytest.fixture()
def workers(postgres_url: str) -> Iterator[Callable[[int], list[PostgresPersonStore]]]:
    opened: list[PostgresPersonStore] = []

    def make(count: int) -> list[PostgresPersonStore]:
        stores = [PostgresPersonStore(postgres_url) for _ in range(count)]
        opened.extend(stores)
        return stores

    yield make
    for store in opened:
        store.close()


def _database(store: PostgresPersonStore) -> Any:
    return store._pool.connection()


def _create(store: PostgresPersonStore, *distinct_ids: str) -> None:
    with store.transaction():
        for did in distinct_ids:
            store.create(1, did, properties={"from": did}, created_at=T)


def _replayed(batch: Callable[[], None], deadlocks: list[int]) -> None:
    """Run a batch as the ingestion worker does: a failed batch is replayed whole."""
    for _ in range(20):
        try:
            batch()
            return
        except psycopg.errors.DeadlockDetected:
            deadlocks.append(1)
    raise AssertionError("the batch never went through")


def _wait_for_a_lock_wait(store: PostgresPersonStore) -> None:
    """Poll until some transaction waits for a lock (the other worker's)."""
    deadline = time.monotonic() + 30
    with _database(store) as conn:
        while conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0] == 0:
            assert time.monotonic() < deadline, "no worker ever waited for the other"
            time.sleep(0.01)


def _state(store: PostgresPersonStore) -> tuple[dict[str, str], set[str], dict[str, str]]:
    """(distinct id -> person id, live person ids, old person id -> overriding person id)."""
    with _database(store) as conn:
        mapping = dict(conn.execute("SELECT distinct_id, person_id FROM distinct_ids").fetchall())
        live = {r[0] for r in conn.execute("SELECT id FROM persons").fetchall()}
        overrides = dict(
            conn.execute("SELECT old_person_id, person_id FROM person_overrides").fetchall()
        )
    return mapping, live, overrides


def test_opposite_merges_of_the_same_two_persons_make_one(
    workers: Callable[[int], list[PostgresPersonStore]],
) -> None:
    first, second = workers(2)
    _create(first, "x", "y")  # two anonymous persons
    locked = threading.Event()
    outcomes: dict[str, Any] = {}

    def merge_x_into_y_side() -> None:  # the worker of "x": $identify with anon "y"
        with first.transaction():
            first.prefetch([(1, "x"), (1, "y")])
            locked.set()
            _wait_for_a_lock_wait(first)  # the other worker now waits for this one
            outcomes["first"] = unite(first, 1, "x", "y", dangerous=False, created_at=T)

    def merge_y_into_x_side() -> None:  # the worker of "y": $create_alias with alias "x"
        locked.wait(30)
        with second.transaction():
            second.prefetch([(1, "y"), (1, "x")])
            outcomes["second"] = unite(second, 1, "y", "x", dangerous=False, created_at=T)

    threads = [threading.Thread(target=f) for f in (merge_x_into_y_side, merge_y_into_x_side)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes["first"].refusal is None and outcomes["second"].refusal is None
    mapping, live, overrides = _state(first)
    # The first merge won: y's person went into x's; the second found nothing to merge.
    assert mapping == {"x": person_uuid(1, "x"), "y": person_uuid(1, "x")}
    assert live == {person_uuid(1, "x")}
    assert overrides == {person_uuid(1, "y"): person_uuid(1, "x")}
    person = first.get(1, person_uuid(1, "x"))
    assert person is not None and person.is_identified
    assert person.properties == {"from": "x"}  # the event's person's values win
    assert [o.old_person_id for _, o in first.pending_overrides()] == [person_uuid(1, "y")]


def test_two_workers_meeting_a_new_distinct_id_give_it_one_person(
    workers: Callable[[int], list[PostgresPersonStore]],
) -> None:
    # A pageview of the new id "n" on one worker, an $identify of "m" naming "n" on the other:
    # "n" has no person for either yet (no row to lock), so only the lock on the id itself
    # keeps both from making it one.
    first, second = workers(2)
    created = threading.Event()

    def pageview() -> None:
        with first.transaction():
            first.prefetch([(1, "n")])
            assert first.get_by_distinct_id(1, "n") is None
            first.create(1, "n", properties={}, created_at=T)
            created.set()
            _wait_for_a_lock_wait(first)

    def identify() -> None:
        created.wait(30)
        with second.transaction():
            second.prefetch([(1, "m"), (1, "n")])
            unite(second, 1, "m", "n", dangerous=False, created_at=T)

    threads = [threading.Thread(target=f) for f in (pageview, identify)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    n = person_uuid(1, "n")
    mapping, live, overrides = _state(first)
    assert mapping == {"n": n, "m": n}
    assert live == {n} and overrides == {}


def test_two_workers_merging_one_person_through_different_ids_chain_the_merges(
    workers: Callable[[int], list[PostgresPersonStore]],
) -> None:
    # "a" and "b" are one person; the workers name no id in common (no advisory lock
    # conflicts), but both merge that person away: the second must wait for the first and
    # then merge the person the first made.
    first, second = workers(2)
    _create(first, "a", "c", "d")
    with first.transaction():
        unite(first, 1, "a", "b", dangerous=False, created_at=T)  # b joins a's person
    first.pending_overrides()
    first.clear_overrides(10**9)
    locked = threading.Event()

    def merge_into_c() -> None:
        with first.transaction():
            first.prefetch([(1, "c"), (1, "a")])
            locked.set()
            _wait_for_a_lock_wait(first)
            unite(first, 1, "c", "a", dangerous=True, created_at=T)

    def merge_into_d() -> None:
        locked.wait(30)
        with second.transaction():
            second.prefetch([(1, "d"), (1, "b")])
            unite(second, 1, "d", "b", dangerous=True, created_at=T)

    threads = [threading.Thread(target=f) for f in (merge_into_c, merge_into_d)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    a, c, d = (person_uuid(1, x) for x in "acd")
    mapping, live, overrides = _state(first)
    assert mapping == dict.fromkeys("abcd", d)
    assert live == {d}
    assert overrides == {a: d, c: d}  # a's override re-pointed from c to d
    assert [(o.old_person_id, o.person_id) for _, o in first.pending_overrides()] == [
        (a, c),
        (c, d),
        (a, d),
    ]


def test_a_deadlock_between_two_workers_fails_one_batch_which_is_replayed(
    workers: Callable[[int], list[PostgresPersonStore]],
) -> None:
    # Without a prefetch each worker locks its own id first, then the other's: a cycle that
    # PostgreSQL breaks by failing one transaction.
    first, second = workers(2)
    _create(first, "x", "y")
    both_hold_one = threading.Barrier(2, timeout=30)
    deadlocks: list[int] = []

    def batch(store: PostgresPersonStore, mine: str, other: str) -> Callable[[], None]:
        attempts = []

        def run() -> None:
            attempts.append(1)
            with store.transaction():
                store.get_by_distinct_id(1, mine)
                if len(attempts) == 1:
                    both_hold_one.wait()
                unite(store, 1, mine, other, dangerous=True, created_at=T)

        return run

    threads = [
        threading.Thread(target=_replayed, args=(batch(first, "x", "y"), deadlocks)),
        threading.Thread(target=_replayed, args=(batch(second, "y", "x"), deadlocks)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert deadlocks == [1]  # one batch failed once, and went through when replayed
    mapping, live, overrides = _state(first)
    assert len(live) == 1 and set(mapping) == {"x", "y"}
    [survivor] = live
    assert set(mapping.values()) == {survivor}
    merged_away = ({person_uuid(1, "x"), person_uuid(1, "y")} - live).pop()
    assert overrides == {merged_away: survivor}


def _components(pairs: list[tuple[str, str]], ids: list[str]) -> set[frozenset[str]]:
    """The oracle: the ids that end on one person when every pair merges."""
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[str, set[str]] = {}
    for i in ids:
        groups.setdefault(root(i), set()).add(i)
    return {frozenset(g) for g in groups.values()}


def test_many_workers_merging_at_once_agree_with_the_oracle(
    workers: Callable[[int], list[PostgresPersonStore]],
) -> None:
    # Eight clusters of six ids; each worker gets batches of $merge_dangerously events (they
    # always merge) between two ids of one cluster, drawn at random: the workers' batches
    # touch the same clusters at the same time, from both sides.
    clusters = [[f"user-{c}-{n}" for n in range(6)] for c in range(8)]
    rng = random.Random(17)
    plans = [
        [[tuple(rng.sample(rng.choice(clusters), 2)) for _ in range(4)] for _ in range(15)]
        for _ in range(3)
    ]
    stores = workers(3)
    _create(stores[0], *(did for cluster in clusters for did in cluster))  # anonymous visits
    deadlocks: list[int] = []
    mirrored: list[MirrorRow] = []
    start = threading.Barrier(len(stores), timeout=30)

    def work(store: PostgresPersonStore, batches: list[list[tuple[str, str]]]) -> None:
        start.wait()
        for pairs in batches:

            def run(pairs: list[tuple[str, str]] = pairs) -> None:
                with store.transaction():
                    store.prefetch([(1, d) for pair in pairs for d in pair])
                    for mine, other in pairs:
                        unite(store, 1, mine, other, dangerous=True, created_at=T)

            _replayed(run, deadlocks)
        mirrored.extend(store.take_mirror())

    threads = [
        threading.Thread(target=work, args=(store, plan))
        for store, plan in zip(stores, plans, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    pairs = [pair for plan in plans for batch in plan for pair in batch]
    expected = _components(pairs, [did for cluster in clusters for did in cluster])
    mapping, live, overrides = _state(stores[0])
    found: dict[str, set[str]] = {}
    for did, pid in mapping.items():
        found.setdefault(pid, set()).add(did)
    assert {frozenset(g) for g in found.values()} == expected
    assert set(found) == live  # every person has ids; no id points at a deleted person
    # Every person merged away counts as the person its ids are on now (each id had one).
    deleted = {m.person_id for m in mirrored if m.kind == "person" and m.is_deleted}
    assert deleted and deleted.isdisjoint(live)
    by_uuid = {person_uuid(1, d): d for d in mapping}
    for old in deleted:
        assert overrides[old] == mapping[by_uuid[old]]
    assert set(overrides) == deleted
    assert len(live) == len(expected) > 1
    assert len(deleted) == len(mapping) - len(live)
