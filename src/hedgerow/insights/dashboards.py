"""Dashboards and their tiles: a saved insight or a text card, placed on a 12-column grid.

A tile's place is `layouts` (`{"sm": {"x", "y", "w", "h"}}`, in grid columns and rows); a
tile added without one goes below the others, at the left, 6 columns wide and 5 rows high.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from hedgerow.insights.schema import SavedDb

GRID_COLUMNS = 12
NEW_TILE_WIDTH = 6
NEW_TILE_HEIGHT = 5
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


def _below(conn: sqlite3.Connection, dashboard_id: int) -> dict[str, Any]:
    """The layout of a new tile: below every tile of the dashboard, at the left."""
    bottom = 0
    for (layouts,) in conn.execute(
        "SELECT layouts FROM dashboard_tiles WHERE dashboard_id = ?", (dashboard_id,)
    ):
        sm = orjson.loads(layouts).get("sm", {})
        bottom = max(bottom, int(sm.get("y", 0)) + int(sm.get("h", 0)))
    return {"sm": {"x": 0, "y": bottom, "w": NEW_TILE_WIDTH, "h": NEW_TILE_HEIGHT}}


class DashboardStore:
    def __init__(self, db: SavedDb) -> None:
        self.db = db

    def search(
        self, team_id: int, search: str = "", limit: int = 100, offset: int = 0
    ) -> tuple[int, list[tuple[Dashboard, int]]]:
        """(how many match, the page as (dashboard without tiles, tile count)), by name."""
        where, args = "team_id = ?", list[Any]([team_id])
        if search:
            where += " AND instr(lower(name), ?) > 0"
            args.append(search.lower())
        count_tiles = "(SELECT count(*) FROM dashboard_tiles t WHERE t.dashboard_id = d.id)"
        with self.db.lock:
            count = self.db.conn.execute(
                f"SELECT count(*) FROM dashboards WHERE {where}", args
            ).fetchone()[0]
            rows = self.db.conn.execute(
                f"SELECT {_COLUMNS}, {count_tiles} FROM dashboards d WHERE {where} "
                "ORDER BY pinned DESC, name COLLATE NOCASE, id LIMIT ? OFFSET ?",
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
            cursor = self.db.conn.execute(
                "INSERT INTO dashboards (team_id, name, description, filters, created_at, "
                "created_by, last_modified_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    team_id,
                    name,
                    description,
                    orjson.dumps(EMPTY_FILTERS).decode(),
                    now,
                    user_id,
                    now,
                ),
            )
        created = self.get(team_id, int(cursor.lastrowid or 0))
        assert created is not None
        return created

    def update(self, team_id: int, dashboard_id: int, changes: dict[str, Any]) -> None:
        """Change any of `name`, `description`, `pinned`, `filters`."""
        columns = dict(changes)
        if "filters" in columns:
            columns["filters"] = orjson.dumps(columns["filters"]).decode()
        if "pinned" in columns:
            columns["pinned"] = int(columns["pinned"])
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

    # -- tiles -------------------------------------------------------------------------

    def add_tile(
        self,
        team_id: int,
        dashboard_id: int,
        *,
        insight_id: int | None = None,
        text: str | None = None,
        layouts: dict[str, Any] | None = None,
    ) -> None:
        with self.db.transaction() as conn:
            place = layouts or _below(conn, dashboard_id)
            conn.execute(
                "INSERT INTO dashboard_tiles (team_id, dashboard_id, insight_id, text, layouts) "
                "VALUES (?, ?, ?, ?, ?)",
                (team_id, dashboard_id, insight_id, text, orjson.dumps(place).decode()),
            )
            self._touch(conn, dashboard_id)

    def change_tiles(self, team_id: int, dashboard_id: int, changes: list[dict[str, Any]]) -> None:
        """Apply tile changes, all or none: `id` with any of `layouts`, `color`, `text`,
        `deleted` (the ids must be tiles of this dashboard: the caller checks), or, without
        `id`, a new text card (`text`, and `layouts` or below the others)."""
        with self.db.transaction() as conn:
            for change in changes:
                tile_id = change.get("id")
                if tile_id is None:
                    place = change.get("layouts") or _below(conn, dashboard_id)
                    conn.execute(
                        "INSERT INTO dashboard_tiles (team_id, dashboard_id, text, layouts, color)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (
                            team_id,
                            dashboard_id,
                            change["text"],
                            orjson.dumps(place).decode(),
                            change.get("color"),
                        ),
                    )
                    continue
                if change.get("deleted"):
                    conn.execute("DELETE FROM dashboard_tiles WHERE id = ?", (tile_id,))
                    continue
                columns = {k: change[k] for k in ("layouts", "color", "text") if k in change}
                if "layouts" in columns:
                    columns["layouts"] = orjson.dumps(columns["layouts"]).decode()
                if columns:
                    assignments = ", ".join(f"{k} = ?" for k in columns)
                    conn.execute(
                        f"UPDATE dashboard_tiles SET {assignments} WHERE id = ?",
                        (*columns.values(), tile_id),
                    )
            self._touch(conn, dashboard_id)

    def set_insight_dashboards(
        self, team_id: int, insight_id: int, dashboard_ids: list[int]
    ) -> None:
        """Put the insight on exactly these dashboards of the project: a tile added (below
        the others) where it is missing, its tiles removed from the other dashboards."""
        wanted = set(dashboard_ids)
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT DISTINCT dashboard_id FROM dashboard_tiles "
                "WHERE team_id = ? AND insight_id = ?",
                (team_id, insight_id),
            ).fetchall()
            present = {row[0] for row in rows}
            for dashboard_id in sorted(present - wanted):
                conn.execute(
                    "DELETE FROM dashboard_tiles WHERE dashboard_id = ? AND insight_id = ?",
                    (dashboard_id, insight_id),
                )
                self._touch(conn, dashboard_id)
            for dashboard_id in sorted(wanted - present):
                conn.execute(
                    "INSERT INTO dashboard_tiles (team_id, dashboard_id, insight_id, layouts) "
                    "VALUES (?, ?, ?, ?)",
                    (
                        team_id,
                        dashboard_id,
                        insight_id,
                        orjson.dumps(_below(conn, dashboard_id)).decode(),
                    ),
                )
                self._touch(conn, dashboard_id)

    @staticmethod
    def _touch(conn: sqlite3.Connection, dashboard_id: int) -> None:
        conn.execute(
            "UPDATE dashboards SET last_modified_at = ? WHERE id = ?", (time.time(), dashboard_id)
        )
