"""A query that fails inside ClickHouse leaves its connection as it found it: every query after
it on the same thread answers exactly what it would have answered on a fresh connection. The
query limits stop the API's reads, each named, and never the store's own work."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from store_kinds import OpenStore

from hedgerow.persons.store import Override
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryFailed, QueryLimits, QueryResult

# Each fails after ClickHouse has begun writing the result: the format's header (the memory
# limit hit while the first block is computed) or thousands of rows (an error mid-stream).
FAILING = [
    "SELECT groupArray(number) FROM numbers(10000000) SETTINGS max_memory_usage = 50000000",
    "SELECT number, throwIf(number = 150000, 'boom') FROM numbers(300000) "
    "SETTINGS max_block_size = 1000",
]
SMALL = "SELECT number AS n, toString(number) AS s, [number] AS a FROM numbers(3)"
EXPECTED = QueryResult(
    columns=["n", "s", "a"],
    types=["UInt64", "String", "Array(UInt64)"],
    rows=[[0, "0", [0]], [1, "1", [1]], [2, "2", [2]]],
)


@pytest.fixture()
def store(open_store: OpenStore) -> Iterator[ChdbEventStore]:
    events = open_store()
    yield events
    events.close()


@pytest.mark.parametrize("failing", FAILING)
def test_queries_after_a_failed_one_are_exact(store: ChdbEventStore, failing: str) -> None:
    assert store.query(SMALL) == EXPECTED
    with pytest.raises(RuntimeError):
        store.query(failing)
    for _ in range(3):
        assert store.query(SMALL) == EXPECTED
    assert store.query("SELECT count() FROM numbers(10)").rows == [[10]]


def test_internal_work_after_a_failed_query(store: ChdbEventStore) -> None:
    with pytest.raises(RuntimeError):
        store.query(FAILING[1])
    assert store.override_count(1) == 0
    assert store.squash_overrides() == 0


def test_limits_stop_api_reads_but_not_internal_work(open_store: OpenStore) -> None:
    store = open_store(QueryLimits(max_result_rows=2))
    with pytest.raises(QueryFailed) as failed:
        store.query("SELECT number FROM numbers(5)")
    assert failed.value.limit == "result" and failed.value.name == "TOO_MANY_ROWS_OR_BYTES"
    assert store.query(SMALL.replace("numbers(3)", "numbers(2)")).rows == EXPECTED.rows[:2]

    # Squashing reads its pending overrides (three rows) without the API's limits.
    store.insert_overrides(
        [Override(1, str(uuid.uuid4()), str(uuid.uuid4()), 1, i + 10, i + 20) for i in range(3)]
    )
    assert store.override_count(1) == 3
    assert store.squash_overrides() == 3
    assert store.override_count(1) == 0
    store.close()


@pytest.mark.parametrize(
    ("sql", "limit"),
    [
        ("SELECT groupArray(number) FROM numbers(10000000)", "memory"),
        ("SELECT count() FROM numbers(100000000000)", "time"),
        ("SELECT toString(number) AS s FROM numbers(100000)", "result"),
        ("SELECT sum(event) FROM hedgerow.events", None),
    ],
)
def test_each_limit_is_named(open_store: OpenStore, sql: str, limit: str | None) -> None:
    limits = QueryLimits(timeout=0.5, max_memory=50_000_000, max_result_bytes=100_000)
    store = open_store(limits)
    with pytest.raises(QueryFailed) as failed:
        store.query(sql)
    assert failed.value.limit == limit
    assert store.query(SMALL) == EXPECTED
    store.close()
