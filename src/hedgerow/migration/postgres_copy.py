"""SQLite tables copied into PostgreSQL's (the app tables and the persons), rows unchanged.

A table's rows go through `COPY` into a temporary table, then `INSERT ... SELECT ... ON
CONFLICT DO NOTHING` into the real one, in one transaction: a window copied again after an
interruption adds nothing. Ids are kept as they are (identity columns are written with
`OVERRIDING SYSTEM VALUE`), and each identity's sequence is moved past the highest id copied,
so that rows made later on the server get new ones. COPY's text form carries SQLite's
values as PostgreSQL reads them: 0/1 into booleans, JSON text into `jsonb`.

Every column of a SQLite table must exist in PostgreSQL's (a table the server lacks a column
for is refused, never copied in part); columns only PostgreSQL has take their defaults.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hedgerow.migration.source import MigrationRefused

if TYPE_CHECKING:
    import psycopg

# The app tables (meta.sqlite3), in the order they are copied.
APP_TABLES = (
    "organizations",
    "projects",
    "api_keys",
    "api_key_projects",
    "users",
    "setup_tokens",
    "sessions",
    "actions",
    "insights",
    "dashboards",
    "dashboard_tiles",
    "audit_log",
)
# The persons' tables (persons.sqlite3, groups.sqlite3) with their primary keys, which their
# windows follow.
PERSON_TABLES = {
    "persons": ("team_id", "id"),
    "distinct_ids": ("team_id", "distinct_id"),
    "personless_ids": ("team_id", "distinct_id"),
    "person_overrides": ("team_id", "old_person_id"),
    "override_outbox": ("id",),
    "person_index": ("idx",),
}
GROUP_TABLES = {
    "group_types": ("team_id", "group_type"),
    "groups": ("team_id", "group_type_index", "group_key"),
}
# SQLite's implicit row id, which PostgreSQL's `api_keys` keeps as a column of its own.
_ROWID = "rowid"


@dataclass(frozen=True)
class TargetTable:
    name: str
    columns: list[str]  # those both sides have, in PostgreSQL's order
    identities: list[str]  # identity columns among them

    def insert_sql(self) -> bytes:
        names = ", ".join(self.columns)
        overriding = " OVERRIDING SYSTEM VALUE" if self.identities else ""
        return (
            f"INSERT INTO {self.name} ({names}){overriding} SELECT {names} FROM migrate_rows "
            "ON CONFLICT DO NOTHING"
        ).encode()


def target_table(pg: psycopg.Connection[Any], source: sqlite3.Connection, name: str) -> TargetTable:
    """The columns to copy; refused when SQLite has a column PostgreSQL lacks."""
    rows = pg.execute(
        "SELECT column_name, is_identity FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (name,),
    ).fetchall()
    target = {str(column): identity == "YES" for column, identity in rows}
    present = {str(r[1]) for r in source.execute(f"PRAGMA table_info({name})")}
    if not present:  # the file never had the table: nothing to copy
        return TargetTable(name, [], [])
    if _ROWID in target and _ROWID not in present:
        present.add(_ROWID)  # SQLite's implicit one
    if missing := sorted(present - set(target)):
        raise MigrationRefused(
            f"the PostgreSQL table {name} has no column {', '.join(missing)}: apply its schema "
            "migrations with this version (`hedgerow migrate` with --persons-url) and run the "
            "migration again."
        )
    columns = [c for c in target if c in present]
    return TargetTable(name, columns, [c for c in columns if target[c]])


def copy_rows(
    pg: psycopg.Connection[Any], table: TargetTable, rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (of `table.columns`) within the caller's transaction."""
    names = ", ".join(table.columns)
    pg.execute(
        f"CREATE TEMP TABLE migrate_rows ON COMMIT DROP AS SELECT {names} FROM {table.name} "
        "WITH NO DATA".encode()
    )
    with pg.cursor().copy(f"COPY migrate_rows ({names}) FROM STDIN".encode()) as copy:
        for row in rows:
            copy.write_row(row)
    pg.execute(table.insert_sql())
    pg.execute(b"DROP TABLE migrate_rows")


def advance_identities(pg: psycopg.Connection[Any], table: TargetTable) -> None:
    """Move each identity's sequence past the highest id in the table."""
    for column in table.identities:
        pg.execute(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column}'), "
            f"COALESCE(MAX({column}), 0) + 1, false) FROM {table.name}".encode()
        )


def read_window(
    source: sqlite3.Connection,
    table: TargetTable,
    key: Sequence[str],
    after: Sequence[Any] | None,
    limit: int,
) -> list[tuple[Any, ...]]:
    """Up to `limit` rows of the table after the primary key `after`, in key order."""
    names = ", ".join(table.columns)
    order = ", ".join(key)
    where = ""
    args: list[Any] = []
    if after is not None:
        marks = ", ".join("?" for _ in key)
        where = f" WHERE ({order}) > ({marks})"
        args = list(after)
    sql = f"SELECT {names} FROM {table.name}{where} ORDER BY {order} LIMIT ?"
    return source.execute(sql, [*args, limit]).fetchall()


def source_count(source: sqlite3.Connection, table: str) -> int:
    try:
        return int(source.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:  # the file never had the table
        return 0


def target_count(pg: psycopg.Connection[Any], table: str) -> int:
    row = pg.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()
    return int(row[0]) if row else 0
