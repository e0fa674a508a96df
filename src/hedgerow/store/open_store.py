"""The event store the settings name: chDB in the data directory, or a ClickHouse server."""

from __future__ import annotations

from hedgerow.settings import Settings
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryLimits

EMBEDDED_DIR = "events.chdb"


def event_store_for(settings: Settings, limits: QueryLimits | None = None) -> ChdbEventStore:
    """`--events-url clickhouse://...`: the server (clickhouse-connect is imported only by
    installations that use it); otherwise the embedded store of the data directory."""
    url = settings.storage.events_url
    if url:
        from hedgerow.store.clickhouse_server import ClickHouseServerEventStore

        return ClickHouseServerEventStore(url, limits)
    return ChdbEventStore(settings.storage.data_dir / EMBEDDED_DIR, limits)
