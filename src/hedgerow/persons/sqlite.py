"""The embedded person store on SQLite (`persons.sqlite3` in the data directory).

Ingestion is the only writer, so the store keeps a bounded cache of distinct_id → person and
holds a batch's writes in memory until its transaction ends, then writes them with a few
`executemany` calls: per event, a known person costs a dictionary lookup, not a query.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import Person

CACHE_SIZE = 500_000

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
        self._cache: dict[tuple[int, str], Person] = {}
        self._new_ids: list[tuple[int, str, str]] = []
        self._dirty: dict[tuple[int, str], Person] = {}
        self._writer_thread: int | None = None
        self._absent: set[tuple[int, str]] = set()
        # Readers outside ingestion (the API) use their own connection and see committed rows.
        self._reader = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._reader_lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._writer_thread = threading.get_ident()
            try:
                yield
                self._flush()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                self._cache.clear()
                raise
            finally:
                self._new_ids.clear()
                self._dirty.clear()
                self._writer_thread = None
                self._absent.clear()
            if len(self._cache) > CACHE_SIZE:
                self._cache.clear()

    def _flush(self) -> None:
        rows = [
            (
                p.team_id,
                p.id,
                orjson.dumps(p.properties).decode(),
                int(p.is_identified),
                p.created_at,
                p.version,
            )
            for p in self._dirty.values()
        ]
        self._conn.executemany(
            "INSERT INTO persons (team_id, id, properties, is_identified, created_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (team_id, id) DO UPDATE SET "
            "properties = excluded.properties, is_identified = excluded.is_identified, "
            "version = excluded.version",
            rows,
        )
        self._conn.executemany(
            "INSERT INTO distinct_ids (team_id, distinct_id, person_id, version) "
            "VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING",
            self._new_ids,
        )

    def _person(self, row: tuple[Any, ...] | None) -> Person | None:
        if row is None:
            return None
        team_id, pid, properties, identified, created_at, version = row
        return Person(team_id, pid, orjson.loads(properties), bool(identified), created_at, version)

    def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        """Rows from the writer inside ingestion's transaction, else from the reader."""
        if self._writer_thread == threading.get_ident():
            return self._conn.execute(sql, args).fetchall()
        with self._reader_lock:
            return self._reader.execute(sql, args).fetchall()

    def prefetch(self, keys: Iterable[tuple[int, str]]) -> None:
        """Load the persons of a batch's distinct ids in a few queries (inside a transaction).

        Afterwards a lookup of any of them is a dictionary lookup, found or known absent. Few
        SQLite calls per batch also matter for the GIL: each call releases it, and getting it
        back can take a switch interval while capture threads are busy.
        """
        wanted: dict[int, list[str]] = {}
        for team_id, distinct_id in keys:
            if (team_id, distinct_id) not in self._cache:
                wanted.setdefault(team_id, []).append(distinct_id)
        for team_id, ids in wanted.items():
            unique = list(dict.fromkeys(ids))
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    "SELECT d.distinct_id, p.team_id, p.id, p.properties, p.is_identified, "
                    "p.created_at, p.version FROM distinct_ids d "
                    "JOIN persons p ON p.team_id = d.team_id AND p.id = d.person_id "
                    f"WHERE d.team_id = ? AND d.distinct_id IN ({marks})",
                    (team_id, *chunk),
                ).fetchall()
                found = set()
                for distinct_id, *row in rows:
                    person = self._person(tuple(row))
                    if person is not None:
                        self._cache[(team_id, distinct_id)] = person
                        found.add(distinct_id)
                self._absent.update((team_id, d) for d in chunk if d not in found)

    def get_by_distinct_id(self, team_id: int, distinct_id: str) -> Person | None:
        in_batch = self._writer_thread == threading.get_ident()
        if in_batch:
            if (cached := self._cache.get((team_id, distinct_id))) is not None:
                return cached
            if (team_id, distinct_id) in self._absent:
                return None
        rows = self._fetch(
            "SELECT p.team_id, p.id, p.properties, p.is_identified, p.created_at, p.version "
            "FROM distinct_ids d "
            "JOIN persons p ON p.team_id = d.team_id AND p.id = d.person_id "
            "WHERE d.team_id = ? AND d.distinct_id = ?",
            (team_id, distinct_id),
        )
        person = self._person(rows[0] if rows else None)
        if in_batch and person is not None:
            self._cache[(team_id, distinct_id)] = person
        return person

    def get(self, team_id: int, person_id: str) -> Person | None:
        rows = self._fetch(
            "SELECT team_id, id, properties, is_identified, created_at, version "
            "FROM persons WHERE team_id = ? AND id = ?",
            (team_id, person_id),
        )
        return self._person(rows[0] if rows else None)

    def create(
        self, team_id: int, distinct_id: str, *, properties: dict[str, Any], created_at: str
    ) -> Person:
        person = Person(team_id, person_uuid(team_id, distinct_id), properties, False, created_at)
        with self._lock:
            self._dirty[(team_id, person.id)] = person
            self._new_ids.append((team_id, distinct_id, person.id))
            self._cache[(team_id, distinct_id)] = person
            self._absent.discard((team_id, distinct_id))
        return person

    def update_properties(self, person: Person) -> None:
        person.version += 1
        with self._lock:
            self._dirty[(person.team_id, person.id)] = person

    def distinct_ids(self, team_id: int, person_id: str) -> list[str]:
        rows = self._fetch(
            "SELECT distinct_id FROM distinct_ids WHERE team_id = ? AND person_id = ? "
            "ORDER BY version, distinct_id",
            (team_id, person_id),
        )
        return [r[0] for r in rows]

    def list(self, team_id: int, limit: int, offset: int) -> Iterator[Person]:
        rows = self._fetch(
            "SELECT team_id, id, properties, is_identified, created_at, version FROM persons "
            "WHERE team_id = ? ORDER BY created_at DESC LIMIT ? OFFSET ?",
            (team_id, limit, offset),
        )
        for row in rows:
            person = self._person(row)
            if person is not None:
                yield person

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        with self._reader_lock:
            self._reader.close()
