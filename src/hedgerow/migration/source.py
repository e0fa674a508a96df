"""The embedded installation a migration copies: its SQLite files and its chDB event store.

It is opened as `hedgerow import` opens it: refused while `hedgerow serve` runs on it (its
control file) or any other process holds the event store (chDB allows one process, and the
store stays open, so no server can start on it while the migration runs). Its stores are
brought up to the current version as a server's start would (`upgrade_stores`); nothing
else is written to it.

Events captured but not yet stored (the intake log's backlog, the event buffer's held-back
events) would be left behind, so a data directory that has some is refused too.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from hedgerow.app_tables.connection import META_FILE
from hedgerow.lifecycle.control import read_control
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryLimits
from hedgerow.store.open_store import EMBEDDED_DIR
from hedgerow.store.upgrades import upgrade_stores

PERSONS_FILE = "persons.sqlite3"
GROUPS_FILE = "groups.sqlite3"
INTAKE_FILE = "intake.sqlite3"
INGESTION_FILE = "ingestion.sqlite3"


class MigrationRefused(Exception):
    """The migration cannot start; the message says why and what to do."""


@dataclass
class EmbeddedSource:
    data_dir: Path
    events: ChdbEventStore

    def sqlite(self, name: str) -> sqlite3.Connection:
        """A connection to one of the data directory's SQLite files (only read from); an
        empty database in memory when the file does not exist (none is made)."""
        path = self.data_dir / name
        return sqlite3.connect(path if path.is_file() else ":memory:")

    def close(self) -> None:
        self.events.close()


def open_source(data_dir: Path) -> EmbeddedSource:
    if not (data_dir / META_FILE).is_file():
        raise MigrationRefused(
            f"{data_dir} holds no embedded installation (no {META_FILE}): give the data "
            "directory of the installation to move with --data-dir."
        )
    control = read_control(data_dir)
    if control is not None:
        raise MigrationRefused(
            f"`hedgerow serve` (pid {control.pid}, {control.url}) has {data_dir} open: stop "
            "it, then run the migration (the installation must not change while it is copied)."
        )
    _refuse_unstored_events(data_dir)
    try:
        events = ChdbEventStore(data_dir / EMBEDDED_DIR, QueryLimits())
    except RuntimeError as exc:
        if "EmbeddedServer" not in str(exc):
            raise
        first_line = str(exc).strip().splitlines()[0]
        raise MigrationRefused(
            f"{data_dir}'s event store cannot be opened ({first_line}): most likely another "
            "process (hedgerow serve, ingest, web, import or migrate) has it open: stop it, "
            "then run the migration."
        ) from exc
    try:
        persons = SqlitePersonStore(data_dir / PERSONS_FILE)
        try:
            upgrade_stores(persons, events)
        finally:
            persons.close()
    except BaseException:
        events.close()
        raise
    return EmbeddedSource(data_dir, events)


def _refuse_unstored_events(data_dir: Path) -> None:
    waiting = _count(
        data_dir / INTAKE_FILE,
        "SELECT COALESCE(SUM(count), 0) FROM entries "
        "WHERE offset > COALESCE((SELECT MIN(committed) FROM consumers), 0)",
    )
    waiting += _count(data_dir / INGESTION_FILE, "SELECT count(*) FROM buffer")
    if waiting:
        raise MigrationRefused(
            f"{waiting} captured event(s) in {data_dir} are not stored yet (the intake log or "
            "the event buffer holds them): start `hedgerow serve` with --buffer-delay 0 (no "
            "client sending) until its ingestion status shows no backlog, stop it, then run "
            "the migration."
        )


def _count(path: Path, sql: str) -> int:
    """One number from a SQLite file (0 when the file or its table does not exist)."""
    if not path.is_file():
        return 0
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # no such table: nothing was ever written to it
        return 0
    finally:
        conn.close()
