"""Dashboards: a name, filters for every tile, and tiles (a saved insight or a text card,
placed on a 12-column grid; how tiles change is in `tiles.py`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from hedgerow.app_tables.connection import contains, contains_argument
from hedgerow.insights.schema import SavedDb
from hedgerow.insights.tiles import TileChanges

_COLUMNS = (
    "id, team_id, name, description, pinned, filters, created_at, created_by, last_modified_at"
)
_TILE_COLUMNS = "id, insight_id, text, layouts, color"
EMPTY_FILTERS: dict[str, Any] = {"date_from": None, "date_to": None, "properties": []}


@dataclass(frozen=True)
class Tile:
    id: int
    insight_id: int | None
    text: str | None
    layouts: dict[str, Any]
    color: str | None


@dataclass(frozen=True)
class Dashboard:
    id: int
    team_id: int
    name: str
    description: str
    pinned: bool
    filters: dict[str, Any]
    created_at: float
    created_by: int | None
    last_modified_at: float
    tiles: list[Tile] = field(default_factory=list)


def _dashboard(row: tuple[Any, ...], tiles: list[Tile]) -> Dashboard:
    id_, team_id, name, description, pinned, filters, created_at, created_by, modified_at = row
    filters = {**EMPTY_FILTERS, **orjson.loads(filters)}
    return Dashboard(
        id_,
        team_id,
        name,
        description,
        bool(pinned),
        filters,
        created_at,
        created_by,
        modified_at,
        tiles,
    )


def _tile(row: tuple[Any, ...]) -> Tile:
    return Tile(row[0], row[1], row[2], orjson.loads(row[3]), row[4])


class DashboardStore(TileChanges):
    """Dashboards of a project (and, from `TileChanges`, their tiles)."""

    def __init__(self, db: SavedDb) -> None:
        self.db = db

    def search(
        self, team_id: int, search: str = "", limit: int = 100, offset: int = 0
    ) -> tuple[int, list[tuple[Dashboard, int]]]:
        """(how many match, the page as (dashboard without tiles, tile count)), by name."""
        where, args = "team_id = ?", list[Any]([team_id])
        if search:
            where += f" AND {contains('name')}"
            args.append(contains_argument(search))
        count_tiles = "(SELECT count(*) FROM dashboard_tiles t WHERE t.dashboard_id = d.id)"
        with self.db.lock:
            count = self.db.conn.execute(
                f"SELECT count(*) FROM dashboards WHERE {where}", args
            ).fetchone()[0]
            rows = self.db.conn.execute(
                f"SELECT {_COLUMNS}, {count_tiles} FROM dashboards d WHERE {where} "
                "ORDER BY pinned DESC, lower(name), id LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return int(count), [(_dashboard(r[:-1], []), int(r[-1])) for r in rows]

    def get(self, team_id: int, dashboard_id: int) -> Dashboard | None:
        with self.db.lock:
            row = self.db.conn.execute(
                f"SELECT {_COLUMNS} FROM dashboards WHERE team_id = ? AND id = ?",
                (team_id, dashboard_id),
            ).fetchone()
            if row is None:
                return None
            tiles = self.db.conn.execute(
                f"SELECT {_TILE_COLUMNS} FROM dashboard_tiles WHERE dashboard_id = ? ORDER BY id",
                (dashboard_id,),
            ).fetchall()
        return _dashboard(row, [_tile(t) for t in tiles])

    def existing(self, team_id: int, dashboard_ids: list[int]) -> set[int]:
        """Which of these ids are dashboards of the project."""
        if not dashboard_ids:
            return set()
        marks = ", ".join("?" * len(dashboard_ids))
        with self.db.lock:
            rows = self.db.conn.execute(
                f"SELECT id FROM dashboards WHERE team_id = ? AND id IN ({marks})",
                (team_id, *dashboard_ids),
            ).fetchall()
        return {row[0] for row in rows}

    def create(self, team_id: int, name: str, description: str, user_id: int | None) -> Dashboard:
        now = time.time()
        with self.db.lock:
            [(dashboard_id,)] = self.db.conn.execute(
                "INSERT INTO dashboards (team_id, name, description, filters, created_at, "
                "created_by, last_modified_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    team_id,
                    name,
                    description,
                    orjson.dumps(EMPTY_FILTERS).decode(),
                    now,
                    user_id,
                    now,
                ),
            ).rows
        created = self.get(team_id, int(dashboard_id))
        assert created is not None
        return created

    def update(self, team_id: int, dashboard_id: int, changes: dict[str, Any]) -> None:
        """Change any of `name`, `description`, `pinned`, `filters`."""
        columns = dict(changes)
        if "filters" in columns:
            columns["filters"] = orjson.dumps(columns["filters"]).decode()
        if "pinned" in columns:
            columns["pinned"] = bool(columns["pinned"])
        columns["last_modified_at"] = time.time()
        assignments = ", ".join(f"{k} = ?" for k in columns)
        with self.db.lock:
            self.db.conn.execute(
                f"UPDATE dashboards SET {assignments} WHERE team_id = ? AND id = ?",
                (*columns.values(), team_id, dashboard_id),
            )

    def delete(self, team_id: int, dashboard_id: int) -> bool:
        """Delete a dashboard and its tiles (its insights stay); False when not found."""
        with self.db.transaction() as conn:
            deleted = conn.execute(
                "DELETE FROM dashboards WHERE team_id = ? AND id = ?", (team_id, dashboard_id)
            ).rowcount
            if deleted:
                conn.execute("DELETE FROM dashboard_tiles WHERE dashboard_id = ?", (dashboard_id,))
        return bool(deleted)
