"""The embedded person store on SQLite (`persons.sqlite3` in the data directory)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import Person

_SCHEMA = """
CREATE TABLE IF NOT EXISTS persons (
    team_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    properties TEXT NOT NULL,
    is_identified INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS distinct_ids (
    team_id INTEGER NOT NULL,
    distinct_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, distinct_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS distinct_ids_by_person ON distinct_ids (team_id, person_id);
"""


class SqlitePersonStore:
    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _person(self, row: tuple[Any, ...] | None) -> Person | None:
        if row is None:
            return None
        team_id, pid, properties, identified, created_at, version = row
        return Person(team_id, pid, orjson.loads(properties), bool(identified), created_at, version)

    def get_by_distinct_id(self, team_id: int, distinct_id: str) -> Person | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT p.team_id, p.id, p.properties, p.is_identified, p.created_at, p.version "
                "FROM distinct_ids d "
                "JOIN persons p ON p.team_id = d.team_id AND p.id = d.person_id "
                "WHERE d.team_id = ? AND d.distinct_id = ?",
                (team_id, distinct_id),
            ).fetchone()
        return self._person(row)

    def get(self, team_id: int, person_id: str) -> Person | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT team_id, id, properties, is_identified, created_at, version "
                "FROM persons WHERE team_id = ? AND id = ?",
                (team_id, person_id),
            ).fetchone()
        return self._person(row)

    def create(
        self, team_id: int, distinct_id: str, *, properties: dict[str, Any], created_at: str
    ) -> Person:
        person = Person(team_id, person_uuid(team_id, distinct_id), properties, False, created_at)
        with self._lock:
            self._conn.execute(
                "INSERT INTO persons (team_id, id, properties, is_identified, created_at, version) "
                "VALUES (?, ?, ?, 0, ?, 0) ON CONFLICT DO NOTHING",
                (team_id, person.id, orjson.dumps(properties).decode(), created_at),
            )
            self._conn.execute(
                "INSERT INTO distinct_ids (team_id, distinct_id, person_id, version) "
                "VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING",
                (team_id, distinct_id, person.id),
            )
        return person

    def update_properties(self, person: Person) -> None:
        person.version += 1
        with self._lock:
            self._conn.execute(
                "UPDATE persons SET properties = ?, version = ? WHERE team_id = ? AND id = ?",
                (
                    orjson.dumps(person.properties).decode(),
                    person.version,
                    person.team_id,
                    person.id,
                ),
            )

    def distinct_ids(self, team_id: int, person_id: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT distinct_id FROM distinct_ids WHERE team_id = ? AND person_id = ? "
                "ORDER BY version, distinct_id",
                (team_id, person_id),
            ).fetchall()
        return [r[0] for r in rows]

    def list(self, team_id: int, limit: int, offset: int) -> Iterator[Person]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT team_id, id, properties, is_identified, created_at, version FROM persons "
                "WHERE team_id = ? ORDER BY created_at DESC LIMIT ? OFFSET ?",
                (team_id, limit, offset),
            ).fetchall()
        for row in rows:
            person = self._person(row)
            if person is not None:
                yield person

    def close(self) -> None:
        with self._lock:
            self._conn.close()
