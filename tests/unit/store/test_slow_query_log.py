"""API queries slower than `slow_query_seconds` are logged with their time, what ClickHouse
read and their SQL (or why they failed); faster ones and the store's own work are not."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryLimits

LOGGER = "hedgerow.store.chdb"


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[ChdbEventStore]:
    # Every query is "slow" past a nanosecond; the timeout stops the failing one below.
    events = ChdbEventStore(tmp_path / "events.chdb", QueryLimits(timeout=1, slow_seconds=1e-9))
    yield events
    events.close()


def test_a_slow_query_is_logged_with_rows_read_and_its_sql(
    store: ChdbEventStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        store.query("SELECT count()   FROM numbers(12345)")
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert "slow query" in record.getMessage()
    assert "12,345 rows" in record.getMessage()
    assert "SELECT count() FROM numbers(12345)" in record.getMessage()


def test_a_query_stopped_by_the_timeout_is_logged_with_the_reason(
    store: ChdbEventStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER), pytest.raises(RuntimeError):
        store.query("SELECT sleepEachRow(0.5) FROM numbers(10) SETTINGS max_block_size = 1")
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert "failed:" in record.getMessage() and "TIMEOUT" in record.getMessage().upper()


def test_nothing_is_logged_under_the_threshold_or_when_it_is_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for slow in (0, 3600):
        events = ChdbEventStore(tmp_path / f"events-{slow}.chdb", QueryLimits(slow_seconds=slow))
        try:
            with caplog.at_level(logging.WARNING, logger=LOGGER):
                events.query("SELECT 1")
        finally:
            events.close()
    assert not [r for r in caplog.records if r.name == LOGGER]
