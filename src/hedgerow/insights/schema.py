"""The tables of saved insights, dashboards and their tiles, and the connection they share.

The tables are created when missing, at every start (a database from before them gains
them; nothing else changes). Insights and dashboards are deleted for good (their tiles with
them): nothing points at a deleted one, and erasing a project's data must leave nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hedgerow.app_tables.connection import AppConnection, connect_app_tables

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables

SCHEMA = """
CREATE TABLE IF NOT EXISTS insights (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    short_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    query TEXT NOT NULL,
    favorited INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    created_by INTEGER,
    last_modified_at REAL NOT NULL,
    last_modified_by INTEGER,
    UNIQUE (team_id, short_id)
);
CREATE INDEX IF NOT EXISTS insights_team ON insights (team_id, last_modified_at);
CREATE TABLE IF NOT EXISTS dashboards (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    pinned INTEGER NOT NULL DEFAULT 0,
    filters TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    created_by INTEGER,
    last_modified_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dashboards_team ON dashboards (team_id);
CREATE TABLE IF NOT EXISTS dashboard_tiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    dashboard_id INTEGER NOT NULL,
    insight_id INTEGER,
    text TEXT,
    layouts TEXT NOT NULL,
    color TEXT
);
CREATE INDEX IF NOT EXISTS tiles_dashboard ON dashboard_tiles (dashboard_id);
CREATE INDEX IF NOT EXISTS tiles_insight ON dashboard_tiles (insight_id);
"""


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


class SavedDb:
    """One connection to the app tables for the insight and dashboard stores, and its lock."""

    def __init__(self, where: AppTables) -> None:
        self.conn = connect_app_tables(where, SCHEMA)
        self.lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[AppConnection]:
        """The connection, inside one write transaction (committed, or rolled back)."""
        with self.lock, self.conn.transaction() as tx:
            yield tx

    def close(self) -> None:
        with self.lock:
            self.conn.close()
