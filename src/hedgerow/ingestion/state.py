"""Ingestion's own bookkeeping, in `ingestion.sqlite3`: what is done, and what went wrong.

- `seen_uuids`: every stored event's (project, uuid), so one uuid is one event per project.
- `batch`: the intake range being written, so that a batch interrupted by a crash is
  replayed with exactly the same range (and therefore the same store dedup token).
- `outcomes`: counts of received, stored and discarded (by reason) events per project.
- `warnings`: one row per discarded event and per non-discarding warning.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from hedgerow.ingestion.pipeline import Warning

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_uuids (
    team_id INTEGER NOT NULL,
    uuid TEXT NOT NULL,
    PRIMARY KEY (team_id, uuid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    first_offset INTEGER NOT NULL,
    last_offset INTEGER NOT NULL,
    done INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outcomes (
    team_id INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL,
    PRIMARY KEY (team_id, outcome, reason)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    event_uuid TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS warnings_by_team ON warnings (team_id, id);
"""


class IngestionState:
    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def batch(self) -> tuple[int, int, bool] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT first_offset, last_offset, done FROM batch WHERE id = 1"
            ).fetchone()
        return (int(row[0]), int(row[1]), bool(row[2])) if row else None

    def start_batch(self, first: int, last: int) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO batch (id, first_offset, last_offset, done) VALUES (1, ?, ?, 0) "
                "ON CONFLICT(id) DO UPDATE SET first_offset = excluded.first_offset, "
                "last_offset = excluded.last_offset, done = 0",
                (first, last),
            )

    def unseen(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """The (team, uuid) pairs among keys that are not stored yet."""
        found: set[tuple[int, str]] = set()
        by_team: dict[int, list[str]] = {}
        for team_id, uuid in keys:
            by_team.setdefault(team_id, []).append(uuid)
        with self._lock:
            for team_id, uuids in by_team.items():
                for start in range(0, len(uuids), 500):
                    chunk = uuids[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = self._conn.execute(
                        f"SELECT uuid FROM seen_uuids WHERE team_id = ? AND uuid IN ({marks})",
                        (team_id, *chunk),
                    ).fetchall()
                    found.update((team_id, r[0]) for r in rows)
        return set(keys) - found

    def finish_batch(
        self,
        stored: Iterable[tuple[int, str]],
        counts: Counter[tuple[int, str, str]],
        warnings: Sequence[Warning],
    ) -> None:
        """Record a written batch in one transaction: seen uuids, counts, warnings, done."""
        now = time.time()
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR IGNORE INTO seen_uuids (team_id, uuid) VALUES (?, ?)", stored
                )
                conn.executemany(
                    "INSERT INTO outcomes (team_id, outcome, reason, count) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO UPDATE SET count = count + excluded.count",
                    [(t, o, r, n) for (t, o, r), n in counts.items()],
                )
                conn.executemany(
                    "INSERT INTO warnings (team_id, type, event_uuid, details, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [
                        (w.team_id, w.type, w.event_uuid, orjson.dumps(w.details).decode(), now)
                        for w in warnings
                    ],
                )
                conn.execute("UPDATE batch SET done = 1 WHERE id = 1")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def outcomes(self, team_id: int) -> dict[str, Any]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT outcome, reason, count FROM outcomes WHERE team_id = ?", (team_id,)
            ).fetchall()
        result: dict[str, Any] = {"received": 0, "stored": 0, "discarded": {}}
        for outcome, reason, count in rows:
            if outcome == "discarded":
                result["discarded"][reason] = count
            else:
                result[outcome] = count
        return result

    def warnings(self, team_id: int, limit: int, offset: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, type, event_uuid, details, created_at FROM warnings "
                "WHERE team_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                (team_id, limit, offset),
            ).fetchall()
        return [
            {
                "id": r[0],
                "type": r[1],
                "event_uuid": r[2],
                "details": orjson.loads(r[3]),
                "timestamp": r[4],
            }
            for r in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
