"""PostgreSQL for the scale-out stores: a connection pool, and schema migrations applied on
start.

A store declares its schema as a numbered list of migrations (`Migration`); `migrate` applies
those not yet recorded in `hedgerow_migrations`, each in its own transaction, under an
advisory lock so that processes starting together apply each one once. Migrations are only
ever appended to the list: a released one never changes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:  # psycopg is imported only where PostgreSQL is used (`open_pool`)
    import psycopg
    from psycopg_pool import ConnectionPool

    Pool = ConnectionPool[psycopg.Connection[Any]]

log = logging.getLogger(__name__)

# pg_advisory_lock key held while migrations run ("hedgerow" in ASCII, as a number).
MIGRATION_LOCK = 0x68656467_65726F77
CONNECT_TIMEOUT = 10.0
# Seconds a caller waits for a pooled connection. While the server is down, an ingestion batch
# fails after this long and is replayed (its error shows in the ingestion status meanwhile).
POOL_WAIT = 5.0


@dataclass(frozen=True)
class Migration:
    version: int
    sql: str


class PostgresUnavailable(RuntimeError):
    """The server named by a postgresql:// setting cannot be reached at start."""


def _configure(conn: psycopg.Connection[Any]) -> None:
    from psycopg.types.json import set_json_loads

    set_json_loads(orjson.loads, conn)  # jsonb columns come back parsed by orjson


def open_pool(url: str, size: int, name: str) -> Pool:
    """A pool of autocommit connections (a transaction is always explicit), opened and
    checked: a server that cannot be reached is an error now, not at the first query."""
    import psycopg
    from psycopg_pool import ConnectionPool

    try:  # one connection first: a refused one fails at once, not after the pool's timeout
        psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT)).close()
    except psycopg.Error as exc:
        raise PostgresUnavailable(_refusal(url, exc)) from exc
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max(2, size),
        timeout=POOL_WAIT,
        kwargs={"autocommit": True},
        configure=_configure,
        check=ConnectionPool.check_connection,
        name=name,
        open=False,
    )
    try:
        pool.open(wait=True, timeout=CONNECT_TIMEOUT)
    except Exception as exc:
        pool.close()
        raise PostgresUnavailable(_refusal(url, exc)) from exc
    return pool


def _refusal(url: str, exc: Exception) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"cannot connect to PostgreSQL at {without_password(url)} ({first_line}): check "
        "the URL, that the server runs and accepts this user, and that the database exists."
    )


def without_password(url: str) -> str:
    """The URL as it may be logged."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{host}"


def migrate(
    pool: ConnectionPool[psycopg.Connection[Any]], component: str, migrations: Sequence[Migration]
) -> int:
    """Apply the migrations of `component` not applied yet; return how many ran."""
    versions = [m.version for m in migrations]
    assert versions == sorted(set(versions)), "migrations are numbered in order, once each"
    with pool.connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS hedgerow_migrations (component text NOT NULL, "
                "version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
                "PRIMARY KEY (component, version))"
            )
            rows = conn.execute(
                "SELECT version FROM hedgerow_migrations WHERE component = %s", (component,)
            ).fetchall()
            done = {int(r[0]) for r in rows}
            applied = 0
            for migration in migrations:
                if migration.version in done:
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO hedgerow_migrations (component, version) VALUES (%s, %s)",
                        (component, migration.version),
                    )
                log.info("%s: schema migration %d applied", component, migration.version)
                applied += 1
            return applied
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
