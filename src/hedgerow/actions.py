"""Actions: named ORs of steps over events, kept in `meta.sqlite3` beside the projects (or on
PostgreSQL: `hedgerow.app_tables`).

An action applies to every stored event, past ones included: it is compiled into a condition
at query time (query/actions.py), never stamped on events. Deleting an action marks it
deleted; queries then refuse it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from hedgerow.app_tables.connection import connect_app_tables

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables

_SCHEMA = """
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    steps TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS actions_team ON actions (team_id, deleted);
"""


@dataclass(frozen=True)
class Action:
    id: int
    team_id: int
    name: str
    description: str
    steps: list[dict[str, Any]]
    created_at: float
    updated_at: float
    deleted: bool


class ActionStore:
    def __init__(self, where: AppTables) -> None:
        self._conn = connect_app_tables(where, _SCHEMA)
        self._lock = threading.Lock()

    def _rows(self, where: str, args: tuple[Any, ...]) -> list[Action]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, team_id, name, description, steps, created_at, updated_at, deleted "
                f"FROM actions WHERE {where} ORDER BY id",
                args,
            ).fetchall()
        return [
            Action(r[0], r[1], r[2], r[3], orjson.loads(r[4]), r[5], r[6], bool(r[7])) for r in rows
        ]

    def all(self, team_id: int) -> list[Action]:
        return self._rows("team_id = ? AND NOT deleted", (team_id,))

    def get(self, team_id: int, action_id: int, *, deleted: bool = False) -> Action | None:
        if not 0 <= action_id < 2**63:  # ids are SQLite integers; larger ones name nothing
            return None
        found = self._rows("team_id = ? AND id = ?", (team_id, action_id))
        if not found or (found[0].deleted and not deleted):
            return None
        return found[0]

    def steps(self, team_id: int, action_id: int) -> tuple[str, list[dict[str, Any]]] | None:
        found = self.get(team_id, action_id)
        return (found.name, found.steps) if found else None

    def version(self, team_id: int) -> str:
        """Changes whenever an action of the project is created, changed or deleted (every
        write stamps `updated_at`): part of the key of cached query results."""
        with self._lock:
            count, latest, total = self._conn.execute(
                "SELECT count(*), max(updated_at), coalesce(sum(updated_at), 0) FROM actions "
                "WHERE team_id = ?",
                (team_id,),
            ).fetchone()
        return f"{count}:{latest!r}:{total!r}"

    def create(
        self, team_id: int, name: str, description: str, steps: list[dict[str, Any]]
    ) -> Action:
        now = time.time()
        with self._lock:
            [(action_id,)] = self._conn.execute(
                "INSERT INTO actions (team_id, name, description, steps, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (team_id, name, description, orjson.dumps(steps).decode(), now, now),
            ).rows
        created = self.get(team_id, int(action_id))
        assert created is not None
        return created

    def update(self, team_id: int, action_id: int, **changes: Any) -> Action | None:
        """Change `name`, `description`, `steps` and/or `deleted`; None when not found."""
        if self.get(team_id, action_id) is None:
            return None
        columns = {k: v for k, v in changes.items() if v is not None}
        if "steps" in columns:
            columns["steps"] = orjson.dumps(columns["steps"]).decode()
        if "deleted" in columns:
            columns["deleted"] = bool(columns["deleted"])
        columns["updated_at"] = time.time()
        assignments = ", ".join(f"{k} = ?" for k in columns)
        with self._lock:
            self._conn.execute(
                f"UPDATE actions SET {assignments} WHERE team_id = ? AND id = ?",
                (*columns.values(), team_id, action_id),
            )
        return self.get(team_id, action_id, deleted=True)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
