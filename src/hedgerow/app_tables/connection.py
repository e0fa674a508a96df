"""One store's connection to the app tables, the same for SQLite and PostgreSQL.

`connect_app_tables(where, sqlite_schema)` opens it: `where` is either the path of
`meta.sqlite3` (a connection of the store's own, its SQLite tables created from
`sqlite_schema`) or the `PostgresAppTables` of the process (one pool shared by every store;
the tables come from migrations applied when it was opened). Either answers `execute` with
every row read at once (`Rows`), gives `transaction()` (BEGIN IMMEDIATE on SQLite), and
raises `Conflict` when a unique key refuses a row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

if TYPE_CHECKING:  # psycopg is imported only where PostgreSQL is used
    from hedgerow.app_tables.postgres import PostgresAppTables
    from hedgerow.settings import Settings

# Where the app tables are: the path of `meta.sqlite3`, or the process's PostgreSQL ones.
AppTables: TypeAlias = "Path | PostgresAppTables"

Dialect = Literal["sqlite", "postgres"]
META_FILE = "meta.sqlite3"


class Conflict(Exception):
    """A unique key (or primary key) refused the row."""


@dataclass
class Rows:
    """What a statement answered: its rows (all read) and how many rows it changed."""

    rows: list[tuple[Any, ...]]
    rowcount: int

    def fetchone(self) -> Any:
        """The first row (a tuple), or None."""
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)


class AppConnection(Protocol):
    dialect: Dialect

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Rows: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def transaction(self) -> AbstractContextManager[AppConnection]:
        """This connection inside one transaction: committed at the end, rolled back on an
        exception. Statements of the transaction go through what it yields."""
        ...

    def close(self) -> None: ...


class SqliteAppConnection:
    dialect: Dialect = "sqlite"

    def __init__(self, path: Path, schema: str) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA busy_timeout=10000")
        self.conn.executescript(schema)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Rows:
        try:
            cursor = self.conn.execute(sql, args)
            rows = cursor.fetchall()
        except sqlite3.IntegrityError as exc:
            raise Conflict(str(exc)) from exc
        return Rows(rows, cursor.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise Conflict(str(exc)) from exc

    @contextmanager
    def transaction(self) -> Iterator[AppConnection]:
        self.conn.execute("BEGIN IMMEDIATE")  # another process may write the same file
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def contains(column: str) -> str:
    """The condition "`column` contains the search" in both dialects (instr() is SQLite's,
    strpos() PostgreSQL's); its argument is `contains_argument(search)`. Case-insensitive as
    SQL's lower() is: for ASCII letters on SQLite, for every letter on PostgreSQL."""
    return f"lower({column}) LIKE ? ESCAPE '\\'"


def contains_argument(search: str) -> str:
    """The LIKE pattern of `contains`: the lowered search, its wildcards escaped."""
    escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def connect_app_tables(where: AppTables, sqlite_schema: str) -> AppConnection:
    if isinstance(where, Path):
        return SqliteAppConnection(where, sqlite_schema)
    return where.connect()


def open_app_tables(settings: Settings) -> AppTables:
    """Where this installation's app tables are: PostgreSQL when `--persons-url` names a
    server (its migrations applied now), else `meta.sqlite3` in the data directory."""
    persons = settings.persons
    if persons.persons_url:
        from hedgerow.app_tables.postgres import PostgresAppTables

        return PostgresAppTables(persons.persons_url, persons.persons_pool_size)
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    return settings.storage.data_dir / META_FILE


def close_app_tables(where: AppTables) -> None:
    """Close the PostgreSQL pool (after every store that used it); nothing for SQLite."""
    if not isinstance(where, Path):
        where.close()
