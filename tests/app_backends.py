"""The two places the app tables can be (SQLite in the data directory, PostgreSQL with
HEDGEROW_PERSONS_URL), for the tests of users, projects, keys, actions, insights, dashboards
and the audit log, which run against both: a module's server fixture takes
`params=BACKENDS` and starts its server with `backend_env(request)`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from server import Server

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables

BACKENDS = ["sqlite", "postgres"]


def backend_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The server's environment for the backend of `request.param`: on PostgreSQL a new
    database of the run's throwaway cluster, kept for the module."""
    if request.param == "sqlite":
        return {}
    cluster = request.getfixturevalue("postgres_cluster")
    return {"HEDGEROW_PERSONS_URL": cluster.new_database()}


def app_sql(server: Server, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement (with `?` placeholders) on the server's app tables, beside it, as
    another process would; its rows."""
    url = server.env.get("HEDGEROW_PERSONS_URL")
    if url is None:
        conn = sqlite3.connect(server.data_dir / "meta.sqlite3", isolation_level=None)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        cursor = pg.execute(sql.replace("?", "%s").encode(), args)
        return cursor.fetchall() if cursor.description else []


def app_tables_of(server: Server) -> AppTables:
    """The server's app tables, opened beside it (close with `close_app_tables`)."""
    url = server.env.get("HEDGEROW_PERSONS_URL")
    if url is None:
        return server.data_dir / "meta.sqlite3"
    from hedgerow.app_tables.postgres import PostgresAppTables

    return PostgresAppTables(url, 2)
