"""The event store's tests run on both stores: chDB in a directory of the test's own, and a
ClickHouse server (tests/clickhouse_server.py) with Hedgerow's database dropped first."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_kinds import OpenStore

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryLimits


@pytest.fixture(params=["chdb", "server"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    """Opens the test's store (again after a close: the same data)."""
    if request.param == "chdb":

        def embedded(
            limits: QueryLimits | None = None, *, keep_sessions: bool = True
        ) -> ChdbEventStore:
            return ChdbEventStore(tmp_path / "events.chdb", limits, keep_sessions=keep_sessions)

        return embedded
    from hedgerow.store.clickhouse_server import ClickHouseServerEventStore

    url = request.getfixturevalue("clickhouse_url")

    def server(limits: QueryLimits | None = None, *, keep_sessions: bool = True) -> ChdbEventStore:
        return ClickHouseServerEventStore(url, limits, keep_sessions=keep_sessions)

    return server
