"""The app tables on PostgreSQL: one pool per process, shared by every store, and the
statements of the stores (written with `?`) run as psycopg's (`%s`).

Outside a transaction each statement takes a pooled connection for itself (autocommit), so
a change is visible to every other process (capture, ingestion, web) as soon as it returns;
a transaction holds one connection until it commits. While the server cannot be reached (no
connection within the pool's wait, or one lost), statements raise `ServiceUnavailable`
(503 `database_unavailable`): clients retry, as they do under backpressure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import psycopg

from hedgerow.app_tables.connection import AppConnection, Conflict, Dialect, Rows
from hedgerow.app_tables.postgres_schema import COMPONENT, MIGRATIONS
from hedgerow.errors import ServiceUnavailable
from hedgerow.postgres import migrate, open_pool

if TYPE_CHECKING:
    from hedgerow.postgres import Pool


RETRY_AFTER = "5"  # seconds: about the pool's wait for a connection


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "PostgreSQL (--persons-url), which holds the projects, keys and users, cannot be "
        "reached; retry shortly.",
        code="database_unavailable",
        headers={"Retry-After": RETRY_AFTER},
    )


@lru_cache(maxsize=1024)
def postgres_sql(sql: str) -> bytes:
    """A statement written for SQLite's `?` placeholders, as psycopg's `%s` ones (a literal
    `%` doubled). The stores' statements never hold a `?` or `%` inside a string literal."""
    return sql.replace("%", "%%").replace("?", "%s").encode()


def _run(conn: psycopg.Connection[Any], sql: str, args: Sequence[Any]) -> Rows:
    try:
        cursor = conn.execute(postgres_sql(sql), args)
        rows = cursor.fetchall() if cursor.description else []
    except psycopg.IntegrityError as exc:
        raise Conflict(str(exc)) from exc
    return Rows(rows, cursor.rowcount)


class PostgresAppConnection:
    dialect: Dialect = "postgres"

    def __init__(self, pool: Pool, conn: psycopg.Connection[Any] | None = None) -> None:
        self._pool = pool
        self._conn = conn  # set inside a transaction: every statement goes to it

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Rows:
        try:
            if self._conn is not None:
                return _run(self._conn, sql, args)
            with self._pool.connection() as conn:  # PoolTimeout is an OperationalError
                return _run(conn, sql, args)
        except psycopg.OperationalError as exc:
            raise _unavailable() from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.transaction() as tx:
            for row in rows:
                tx.execute(sql, row)

    @contextmanager
    def transaction(self) -> Iterator[AppConnection]:
        if self._conn is not None:  # already inside one: the statements join it
            yield self
            return
        try:
            with self._pool.connection() as conn, conn.transaction():
                yield PostgresAppConnection(self._pool, conn)
        except psycopg.OperationalError as exc:
            raise _unavailable() from exc

    def close(self) -> None:
        """Nothing of its own to close: `PostgresAppTables.close` closes the pool."""


class PostgresAppTables:
    """The process's pool to the database of `--persons-url`, its app tables migrated."""

    def __init__(self, url: str, pool_size: int = 4) -> None:
        self._pool = open_pool(url, pool_size, "hedgerow-app")
        try:
            migrate(self._pool, COMPONENT, MIGRATIONS)
        except BaseException:
            self._pool.close()
            raise

    def connect(self) -> AppConnection:
        return PostgresAppConnection(self._pool)

    def close(self) -> None:
        self._pool.close()
