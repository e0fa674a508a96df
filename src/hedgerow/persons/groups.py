"""Groups: companies, projects, ... that events belong to, with their own properties.

A project has at most `MAX_GROUP_TYPES` group types; each gets the index 0..4 of the event's
`$group_<index>` column, first come first served. The embedded store keeps them in SQLite
(`groups.sqlite3` in the data directory). Ingestion is the only writer, so type indexes are
cached in memory and a batch's writes wait in memory until its transaction ends.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import orjson

MAX_GROUP_TYPES = 5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS group_types (
    team_id INTEGER NOT NULL,
    group_type TEXT NOT NULL,
    group_type_index INTEGER NOT NULL CHECK (group_type_index BETWEEN 0 AND 4),
    PRIMARY KEY (team_id, group_type),
    UNIQUE (team_id, group_type_index)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS groups (
    team_id INTEGER NOT NULL,
    group_type_index INTEGER NOT NULL,
    group_key TEXT NOT NULL,
    properties TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, group_type_index, group_key)
) WITHOUT ROWID;
"""

GroupId = tuple[int, int, str]


@dataclass
class Group:
    team_id: int
    group_type_index: int
    group_key: str
    properties: dict[str, Any]
    created_at: str
    version: int = 0


class GroupStore(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Group the writes of one ingestion batch; commit on exit, discard them on error."""
        ...

    def type_index(self, team_id: int, group_type: str, create: bool) -> int | None:
        """The type's index; with `create`, the next free one; None when there is none."""
        ...

    def upsert(
        self,
        team_id: int,
        index: int,
        key: str,
        set_properties: dict[str, Any],
        created_at: str,
    ) -> Group:
        """Create the group, or merge `set_properties` into it with `$set` semantics."""
        ...

    def get(self, team_id: int, index: int, key: str) -> Group | None: ...

    def types(self, team_id: int) -> dict[str, int]: ...

    def close(self) -> None: ...


class SqliteGroupStore:
    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._writer_thread: int | None = None
        self._types: dict[int, dict[str, int]] = {}  # committed, per project
        self._new_types: list[tuple[int, str, int]] = []
        self._dirty: dict[GroupId, Group] = {}
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
                for team_id, group_type, index in self._new_types:
                    self._types[team_id][group_type] = index
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._new_types.clear()
                self._dirty.clear()
                self._writer_thread = None

    def _in_transaction(self) -> bool:
        return self._writer_thread == threading.get_ident()

    def _writing(self) -> AbstractContextManager[None]:
        """The current transaction, or one of its own for a write made outside any."""
        return nullcontext() if self._in_transaction() else self.transaction()

    def _flush(self) -> None:
        self._conn.executemany(
            "INSERT INTO group_types (team_id, group_type, group_type_index) VALUES (?, ?, ?)",
            self._new_types,
        )
        self._conn.executemany(
            "INSERT INTO groups (team_id, group_type_index, group_key, properties, created_at, "
            "version) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (team_id, group_type_index, group_key) DO UPDATE SET "
            "properties = excluded.properties, created_at = excluded.created_at, "
            "version = excluded.version",
            [
                (
                    g.team_id,
                    g.group_type_index,
                    g.group_key,
                    orjson.dumps(g.properties).decode(),
                    g.created_at,
                    g.version,
                )
                for g in self._dirty.values()
            ],
        )

    def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        """Rows from the writer inside ingestion's transaction, else from the reader."""
        if self._in_transaction():
            return self._conn.execute(sql, args).fetchall()
        with self._reader_lock:
            return self._reader.execute(sql, args).fetchall()

    def _team_types(self, team_id: int) -> dict[str, int]:
        """Committed types of a project, loaded once (call with the lock held)."""
        known = self._types.get(team_id)
        if known is None:
            rows = self._conn.execute(
                "SELECT group_type, group_type_index FROM group_types WHERE team_id = ?",
                (team_id,),
            ).fetchall()
            known = self._types[team_id] = {group_type: index for group_type, index in rows}
        return known

    def type_index(self, team_id: int, group_type: str, create: bool) -> int | None:
        with self._lock:
            taken = self._team_types(team_id) | self._pending_types(team_id)
            if group_type in taken or not create:
                return taken.get(group_type)
            free = sorted(set(range(MAX_GROUP_TYPES)) - set(taken.values()))
            if not free:
                return None
            with self._writing():
                self._new_types.append((team_id, group_type, free[0]))
            return free[0]

    def _pending_types(self, team_id: int) -> dict[str, int]:
        """Types created by the current transaction and not yet committed."""
        return {t: i for team, t, i in self._new_types if team == team_id}

    def upsert(
        self,
        team_id: int,
        index: int,
        key: str,
        set_properties: dict[str, Any],
        created_at: str,
    ) -> Group:
        with self._lock, self._writing():
            group = self._dirty.get((team_id, index, key)) or self._load(team_id, index, key)
            if group is None:
                group = Group(team_id, index, key, dict(set_properties), created_at)
                self._dirty[(team_id, index, key)] = group
            elif _merge(group, set_properties, created_at):
                group.version += 1
                self._dirty[(team_id, index, key)] = group
            return _copy(group)

    def _load(self, team_id: int, index: int, key: str) -> Group | None:
        rows = self._fetch(
            "SELECT properties, created_at, version FROM groups "
            "WHERE team_id = ? AND group_type_index = ? AND group_key = ?",
            (team_id, index, key),
        )
        if not rows:
            return None
        properties, created_at, version = rows[0]
        return Group(team_id, index, key, orjson.loads(properties), created_at, version)

    def get(self, team_id: int, index: int, key: str) -> Group | None:
        if self._in_transaction() and (team_id, index, key) in self._dirty:
            return _copy(self._dirty[(team_id, index, key)])
        return self._load(team_id, index, key)

    def types(self, team_id: int) -> dict[str, int]:
        if self._in_transaction():
            return self._team_types(team_id) | self._pending_types(team_id)
        rows = self._fetch(
            "SELECT group_type, group_type_index FROM group_types WHERE team_id = ? "
            "ORDER BY group_type_index",
            (team_id,),
        )
        return {group_type: index for group_type, index in rows}

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        with self._reader_lock:
            self._reader.close()


def _merge(group: Group, set_properties: dict[str, Any], created_at: str) -> bool:
    """Apply `$set` semantics and keep the earliest creation time; return whether changed."""
    changed = False
    for name, value in set_properties.items():
        current = group.properties.get(name, _MISSING)
        if current is _MISSING or type(current) is not type(value) or current != value:
            group.properties[name] = value
            changed = True
    if created_at < group.created_at:
        group.created_at = created_at
        changed = True
    return changed


def _copy(group: Group) -> Group:
    return replace(group, properties=dict(group.properties))


_MISSING = object()
