"""The tiles of a dashboard: added (an insight, a text card), moved, colored, rewritten and
removed, each change in one transaction with the dashboard's `last_modified_at`.

A tile's place is `layouts` (`{"sm": {"x", "y", "w", "h"}}`, in grid columns and rows); a
tile added without one goes below the others, at the left, 6 columns wide and 5 rows high.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from hedgerow.app_tables.connection import AppConnection
from hedgerow.insights.schema import SavedDb

GRID_COLUMNS = 12
NEW_TILE_WIDTH = 6
NEW_TILE_HEIGHT = 5


def _below(conn: AppConnection, dashboard_id: int) -> dict[str, Any]:
    """The layout of a new tile: below every tile of the dashboard, at the left."""
    bottom = 0
    for (layouts,) in conn.execute(
        "SELECT layouts FROM dashboard_tiles WHERE dashboard_id = ?", (dashboard_id,)
    ):
        sm = orjson.loads(layouts).get("sm", {})
        bottom = max(bottom, int(sm.get("y", 0)) + int(sm.get("h", 0)))
    return {"sm": {"x": 0, "y": bottom, "w": NEW_TILE_WIDTH, "h": NEW_TILE_HEIGHT}}


class TileChanges:
    db: SavedDb

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
    def _touch(conn: AppConnection, dashboard_id: int) -> None:
        conn.execute(
            "UPDATE dashboards SET last_modified_at = ? WHERE id = ?", (time.time(), dashboard_id)
        )
