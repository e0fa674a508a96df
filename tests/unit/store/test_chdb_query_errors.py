"""A query that fails inside ClickHouse leaves its connection as it found it: every query after
it on the same thread answers exactly what it would have answered on a fresh connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryResult

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
def store(tmp_path: Path) -> Iterator[ChdbEventStore]:
    events = ChdbEventStore(tmp_path / "events.chdb")
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
