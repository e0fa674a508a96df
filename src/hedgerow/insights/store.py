"""Saved insights: a name, a description and a query, found by id or by short id.

The short id (8 letters and digits, unique in the project) is what the web app's address
shows (`/insights/<short id>`); the numeric id is what the API and dashboard tiles use.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

import orjson

from hedgerow.app_tables.connection import Conflict, contains, contains_argument
from hedgerow.insights.schema import SavedDb

SHORT_ID_ALPHABET = string.ascii_letters + string.digits
SHORT_ID_LENGTH = 8
SHORT_ID_ATTEMPTS = 5  # a taken one is drawn with odds of (insights / 62**8) each time
_COLUMNS = (
    "id, team_id, short_id, name, description, query, favorited, created_at, created_by, "
    "last_modified_at, last_modified_by"
)


def new_short_id() -> str:
    return "".join(secrets.choice(SHORT_ID_ALPHABET) for _ in range(SHORT_ID_LENGTH))


@dataclass(frozen=True)
class Insight:
    id: int
    team_id: int
    short_id: str
    name: str
    description: str
    query: dict[str, Any]
    favorited: bool
    created_at: float
    created_by: int | None
    last_modified_at: float
    last_modified_by: int | None
    dashboards: list[int]


def _insight(row: tuple[Any, ...], dashboards: list[int]) -> Insight:
    id_, team_id, short_id, name, description, query, favorited, *stamps = row
    created_at, created_by, modified_at, modified_by = stamps
    return Insight(
        id_,
        team_id,
        short_id,
        name,
        description,
        orjson.loads(query),
        bool(favorited),
        created_at,
        created_by,
        modified_at,
        modified_by,
        dashboards,
    )


class InsightStore:
    def __init__(self, db: SavedDb) -> None:
        self.db = db

    def _rows(self, where: str, args: tuple[Any, ...], tail: str = "") -> list[Insight]:
        with self.db.lock:
            rows = self.db.conn.execute(
                f"SELECT {_COLUMNS} FROM insights WHERE {where} {tail}", args
            ).fetchall()
            on = self._dashboards_of([r[0] for r in rows])
        return [_insight(r, on.get(r[0], [])) for r in rows]

    def _dashboards_of(self, insight_ids: list[int]) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        if not insight_ids:
            return found
        marks = ", ".join("?" * len(insight_ids))
        rows = self.db.conn.execute(
            "SELECT DISTINCT insight_id, dashboard_id FROM dashboard_tiles "
            f"WHERE insight_id IN ({marks}) ORDER BY dashboard_id",
            insight_ids,
        ).fetchall()
        for insight_id, dashboard_id in rows:
            found.setdefault(insight_id, []).append(dashboard_id)
        return found

    def get(self, team_id: int, insight_id: int) -> Insight | None:
        found = self._rows("team_id = ? AND id = ?", (team_id, insight_id))
        return found[0] if found else None

    def many(self, team_id: int, insight_ids: list[int]) -> dict[int, Insight]:
        if not insight_ids:
            return {}
        marks = ", ".join("?" * len(insight_ids))
        found = self._rows(f"team_id = ? AND id IN ({marks})", (team_id, *insight_ids))
        return {insight.id: insight for insight in found}

    def search(
        self,
        team_id: int,
        *,
        search: str = "",
        short_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[Insight]]:
        """(how many match, the page): newest change first; `search` in name or description
        (case-insensitive), `short_id` exactly."""
        where, args = "team_id = ?", list[Any]([team_id])
        if short_id is not None:
            where += " AND short_id = ?"
            args.append(short_id)
        if search:
            where += f" AND ({contains('name')} OR {contains('description')})"
            args += [contains_argument(search)] * 2
        with self.db.lock:
            count = self.db.conn.execute(
                f"SELECT count(*) FROM insights WHERE {where}", args
            ).fetchone()[0]
            page = self._rows(
                where,
                (*args, limit, offset),
                "ORDER BY last_modified_at DESC, id DESC LIMIT ? OFFSET ?",
            )
        return int(count), page

    def create(
        self,
        team_id: int,
        name: str,
        description: str,
        query: dict[str, Any],
        user_id: int | None,
    ) -> Insight:
        now = time.time()
        for attempt in range(SHORT_ID_ATTEMPTS):
            try:
                with self.db.lock:
                    [(insight_id,)] = self.db.conn.execute(
                        "INSERT INTO insights (team_id, short_id, name, description, query, "
                        "created_at, created_by, last_modified_at, last_modified_by) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (
                            team_id,
                            new_short_id(),
                            name,
                            description,
                            orjson.dumps(query).decode(),
                            now,
                            user_id,
                            now,
                            user_id,
                        ),
                    ).rows
                break
            except Conflict:  # the short id is taken in this project: draw again
                if attempt == SHORT_ID_ATTEMPTS - 1:
                    raise
        created = self.get(team_id, int(insight_id))
        assert created is not None
        return created

    def update(
        self, team_id: int, insight_id: int, user_id: int | None, changes: dict[str, Any]
    ) -> Insight | None:
        """Change any of `name`, `description`, `query`, `favorited`; None when not found."""
        columns = dict(changes)
        if "query" in columns:
            columns["query"] = orjson.dumps(columns["query"]).decode()
        if "favorited" in columns:
            columns["favorited"] = bool(columns["favorited"])
        columns["last_modified_at"] = time.time()
        columns["last_modified_by"] = user_id
        assignments = ", ".join(f"{k} = ?" for k in columns)
        with self.db.lock:
            self.db.conn.execute(
                f"UPDATE insights SET {assignments} WHERE team_id = ? AND id = ?",
                (*columns.values(), team_id, insight_id),
            )
        return self.get(team_id, insight_id)

    def delete(self, team_id: int, insight_id: int) -> bool:
        """Delete an insight and its tiles; False when the project has no such insight."""
        with self.db.transaction() as conn:
            deleted = conn.execute(
                "DELETE FROM insights WHERE team_id = ? AND id = ?", (team_id, insight_id)
            ).rowcount
            if deleted:
                conn.execute(
                    "DELETE FROM dashboard_tiles WHERE team_id = ? AND insight_id = ?",
                    (team_id, insight_id),
                )
        return bool(deleted)
