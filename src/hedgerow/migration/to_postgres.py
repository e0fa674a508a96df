"""The PostgreSQL phases: the app tables in one transaction, then the persons' tables in
windows of rows, each window committed with the checkpoint recorded after it.

The app tables are few rows: all of them, and the identities' sequences, go in one
transaction, so that phase is done or not at all. The target's migrations put a default
organization in; it is replaced by the installation's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hedgerow.app_tables import postgres_schema as app_schema
from hedgerow.app_tables.connection import META_FILE
from hedgerow.migration.checkpoint import Checkpoint
from hedgerow.migration.postgres_copy import (
    APP_TABLES,
    GROUP_TABLES,
    PERSON_TABLES,
    advance_identities,
    copy_rows,
    read_window,
    source_count,
    target_count,
    target_table,
)
from hedgerow.migration.source import GROUPS_FILE, PERSONS_FILE, EmbeddedSource
from hedgerow.persons import postgres_schema as persons_schema
from hedgerow.postgres import migrate, open_pool
from hedgerow.row_progress import RowProgress

if TYPE_CHECKING:
    import psycopg

    from hedgerow.postgres import Pool

# Tables whose rows mean the target holds an installation already.
_DATA_TABLES = ("projects", "users", "api_keys", "persons", "distinct_ids", "groups")


class PostgresTarget:
    """The database of `--persons-url`, its schema migrated; one connection for the copy."""

    def __init__(self, url: str) -> None:
        self._pool: Pool = open_pool(url, 1, "hedgerow-migrate-to")
        try:
            for component, migrations in (
                (persons_schema.COMPONENT, persons_schema.MIGRATIONS),
                (app_schema.COMPONENT, app_schema.MIGRATIONS),
            ):
                migrate(self._pool, component, migrations)
            self.conn: psycopg.Connection[Any] = self._pool.getconn()
        except BaseException:
            self._pool.close()
            raise

    def holds_data(self) -> list[str]:
        """The tables that hold rows of an installation (empty: a new database)."""
        return [t for t in _DATA_TABLES if target_count(self.conn, t)]

    def close(self) -> None:
        self._pool.putconn(self.conn)
        self._pool.close()


def app_tables_total(source: EmbeddedSource) -> int:
    meta = source.sqlite(META_FILE)
    try:
        return sum(source_count(meta, table) for table in APP_TABLES)
    finally:
        meta.close()


def copy_app_tables(target: PostgresTarget, source: EmbeddedSource, progress: RowProgress) -> None:
    pg = target.conn
    meta = source.sqlite(META_FILE)
    try:
        with pg.transaction():
            pg.execute(b"DELETE FROM organizations")  # the target's default one
            for name in APP_TABLES:
                table = target_table(pg, meta, name)
                if not table.columns:
                    continue
                names = ", ".join(table.columns)
                rows = meta.execute(f"SELECT {names} FROM {name}").fetchall()
                copy_rows(pg, table, rows)
                advance_identities(pg, table)
                progress.advance(len(rows))
    finally:
        meta.close()


def persons_total(source: EmbeddedSource) -> int:
    total = 0
    for file, tables in ((PERSONS_FILE, PERSON_TABLES), (GROUPS_FILE, GROUP_TABLES)):
        conn = source.sqlite(file)
        try:
            total += sum(source_count(conn, table) for table in tables)
        finally:
            conn.close()
    return total


def copy_persons(
    target: PostgresTarget,
    source: EmbeddedSource,
    checkpoint: Checkpoint,
    save: Callable[[], None],
    progress: RowProgress,
) -> None:
    """Each table in windows of `checkpoint.window_rows`, continuing after the key recorded."""
    pg = target.conn
    for file, tables in ((PERSONS_FILE, PERSON_TABLES), (GROUPS_FILE, GROUP_TABLES)):
        conn = source.sqlite(file)
        try:
            for name, key in tables.items():
                table = target_table(pg, conn, name)
                if not table.columns:
                    continue
                if name in checkpoint.person_keys:
                    progress.advance(target_count(pg, name))  # done before the interruption
                positions = [table.columns.index(k) for k in key]
                while True:
                    after = checkpoint.person_keys.get(name)
                    rows = read_window(conn, table, key, after, checkpoint.window_rows)
                    if not rows:
                        break
                    with pg.transaction():
                        copy_rows(pg, table, rows)
                        advance_identities(pg, table)
                    checkpoint.person_keys[name] = [rows[-1][p] for p in positions]
                    save()
                    progress.advance(len(rows))
        finally:
            conn.close()
    checkpoint.persons_done = True
    save()
