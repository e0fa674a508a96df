"""Ingestion's own bookkeeping, in `ingestion.sqlite3`: what is done, and what went wrong.

- `seen_uuids`: every stored event's (project, uuid), so one uuid is one event per project.
- `batch`: the batch being written (its intake range, the offset it follows and the buffered
  events it releases), so that a batch interrupted by a crash is replayed exactly as it was
  (and therefore with the same store dedup token). Batches before it are all done.
- `outcomes`: counts of received, stored and discarded (by reason) events per project.
- `warnings`: one row per discarded event and per non-discarding warning.
- `buffer`: events the event buffer holds back, with the time each is due; an event is
  buffered once (unique uuid per project), and leaves the table in the transaction that
  records it stored.

The last three are the bookkeeping every worker of an installation shares (`bookkeeping.py`):
with several workers they are in PostgreSQL instead (`postgres_bookkeeping.py`) and stay
empty here. One worker keeps them here, where the batch's record is written with them in one
transaction; so the partitions of `Bookkeeping`'s methods are ignored (that worker holds
them all).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from hedgerow.ingestion.bookkeeping import Buffered, BufferIndexRows, Released
from hedgerow.ingestion.pipeline import Warning
from hedgerow.sqlite_rows import insert_rows


@dataclass(frozen=True)
class PendingBatch:
    first_offset: int
    last_offset: int
    buffer_ids: list[int]
    done: bool
    after_offset: int | None  # the intake offset before it (None: recorded before it was kept)


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
    buffer_ids TEXT NOT NULL DEFAULT '[]',
    done INTEGER NOT NULL,
    after_offset INTEGER
);
CREATE TABLE IF NOT EXISTS buffer (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    uuid TEXT NOT NULL,
    distinct_id TEXT NOT NULL,
    release_at REAL NOT NULL,
    buffered_at REAL NOT NULL,
    record BLOB NOT NULL,
    UNIQUE (team_id, uuid)
);
CREATE INDEX IF NOT EXISTS buffer_by_release ON buffer (release_at);
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
CREATE INDEX IF NOT EXISTS warnings_by_team_type ON warnings (team_id, type, created_at);
"""


class IngestionState:
    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(batch)")}
        if "after_offset" not in columns:  # a state file from before batches were pipelined
            self._conn.execute("ALTER TABLE batch ADD COLUMN after_offset INTEGER")
        self._lock = threading.Lock()

    def batch(self) -> PendingBatch | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT first_offset, last_offset, buffer_ids, done, after_offset FROM batch "
                "WHERE id = 1"
            ).fetchone()
        if row is None:
            return None
        after = None if row[4] is None else int(row[4])
        return PendingBatch(int(row[0]), int(row[1]), orjson.loads(row[2]), bool(row[3]), after)

    def start_batch(
        self, first: int, last: int, buffer_ids: Sequence[int] = (), *, after: int
    ) -> None:
        """Remember what a batch is made of before writing it, for an exact replay: intake
        entries `first`..`last` (none when `last` = `after`), following offset `after`."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO batch (id, first_offset, last_offset, buffer_ids, done, after_offset) "
                "VALUES (1, ?, ?, ?, 0, ?) "
                "ON CONFLICT(id) DO UPDATE SET first_offset = excluded.first_offset, "
                "last_offset = excluded.last_offset, buffer_ids = excluded.buffer_ids, done = 0, "
                "after_offset = excluded.after_offset",
                (first, last, orjson.dumps(list(buffer_ids)).decode(), after),
            )

    # -- the event buffer ------------------------------------------------------------------

    def due(
        self,
        now: float,
        limit: int,
        exclude: Sequence[int] = (),
        partitions: Collection[int] | None = None,
    ) -> list[Released]:
        """Held events due by `now`, oldest first, except those `exclude` names (released by
        a batch not yet recorded)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, team_id, record FROM buffer WHERE release_at <= ? "
                "AND id NOT IN (SELECT value FROM json_each(?)) "
                "ORDER BY release_at, id LIMIT ?",
                (now, orjson.dumps(list(exclude)).decode(), limit),
            ).fetchall()
        return [Released(int(r[0]), int(r[1]), bytes(r[2])) for r in rows]

    def buffered_rows(self, ids: Sequence[int]) -> list[Released]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT id, team_id, record FROM buffer WHERE id IN ({','.join('?' * len(ids))}) "
                "ORDER BY release_at, id",
                tuple(ids),
            ).fetchall()
        return [Released(int(r[0]), int(r[1]), bytes(r[2])) for r in rows]

    def held_already(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """The (project, uuid) among `keys` that the buffer holds."""
        found: set[tuple[int, str]] = set()
        with self._lock:
            for start in range(0, len(keys), 400):
                chunk = keys[start : start + 400]
                marks = ",".join(["(?, ?)"] * len(chunk))
                rows = self._conn.execute(
                    f"SELECT team_id, uuid FROM buffer WHERE (team_id, uuid) IN ({marks})",
                    [value for key in chunk for value in key],
                ).fetchall()
                found.update((int(t), str(u)) for t, u in rows)
        return found

    def buffered_events(self) -> list[Buffered]:
        """Every held event (to hand them to the bookkeeping several workers share,
        `postgres_bookkeeping.adopt_local_buffer`); partition 0 for all."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT team_id, uuid, distinct_id, release_at, record FROM buffer ORDER BY id"
            ).fetchall()
        return [Buffered(int(t), str(u), str(d), float(r), bytes(b)) for t, u, d, r, b in rows]

    def forget_buffered(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM buffer")

    def buffer_index(self, partitions: Collection[int] | None = None) -> BufferIndexRows:
        """(project, distinct_id) -> (events held, latest release time), to keep order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT team_id, distinct_id, count(*), max(release_at) FROM buffer "
                "GROUP BY team_id, distinct_id"
            ).fetchall()
        return {(int(t), d): (int(n), float(r)) for t, d, n, r in rows}

    def buffer_status(self, team_id: int) -> tuple[int, float | None, float | None]:
        """Events held for a project, when the oldest was buffered, when the next is due."""
        with self._lock:
            count, oldest, next_due = self._conn.execute(
                "SELECT count(*), min(buffered_at), min(release_at) FROM buffer WHERE team_id = ?",
                (team_id,),
            ).fetchone()
        return int(count), oldest, next_due

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
        *,
        buffered: Sequence[Buffered] = (),
        released: Sequence[int] = (),
    ) -> None:
        """Record a written batch in one transaction: seen uuids, counts, warnings, events
        newly held by the buffer and those released from it, done."""
        now = time.time()
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                insert_rows(conn, "INSERT OR IGNORE INTO seen_uuids (team_id, uuid)", list(stored))
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
                conn.executemany(
                    "INSERT OR IGNORE INTO buffer (team_id, uuid, distinct_id, release_at, "
                    "buffered_at, record) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (b.team_id, b.uuid, b.distinct_id, b.release_at, now, b.record)
                        for b in buffered
                    ],
                )
                conn.executemany("DELETE FROM buffer WHERE id = ?", [(i,) for i in released])
                conn.execute("UPDATE batch SET done = 1 WHERE id = 1")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLite rolls back by itself after some errors
                    conn.execute("ROLLBACK")
                raise

    def erase(
        self,
        team_id: int,
        distinct_ids: Sequence[str],
        event_uuids: Sequence[str] = (),
        *,
        drop_buffered: bool = True,
    ) -> int:
        """Forget erased persons: the warnings about their events or naming one of their
        distinct ids, and (`drop_buffered`) their events held by the buffer. Returns the
        buffered events dropped. (Seen uuids stay: they name no one, and keep a re-sent
        event out.)"""
        dropped = 0
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                for start in range(0, len(distinct_ids) if drop_buffered else 0, 400):
                    chunk = list(distinct_ids[start : start + 400])
                    marks = ",".join("?" * len(chunk))
                    dropped += conn.execute(
                        f"DELETE FROM buffer WHERE team_id = ? AND distinct_id IN ({marks})",
                        (team_id, *chunk),
                    ).rowcount
                for did in distinct_ids:  # a warning's details hold ids as JSON strings
                    needle = orjson.dumps(did).decode()
                    conn.execute(
                        "DELETE FROM warnings WHERE team_id = ? AND instr(details, ?) > 0",
                        (team_id, needle),
                    )
                for start in range(0, len(event_uuids), 400):
                    chunk = list(event_uuids[start : start + 400])
                    marks = ",".join("?" * len(chunk))
                    conn.execute(
                        f"DELETE FROM warnings WHERE team_id = ? AND event_uuid IN ({marks})",
                        (team_id, *chunk),
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return dropped

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

    def warnings(
        self, team_id: int, limit: int, offset: int, type: str | None = None
    ) -> list[dict[str, Any]]:
        """A project's warnings, newest first (of one type, when given)."""
        of_type = "" if type is None else "AND type = ? "
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, type, event_uuid, details, created_at FROM warnings "
                f"WHERE team_id = ? {of_type}ORDER BY id DESC LIMIT ? OFFSET ?",
                (team_id, *(() if type is None else (type,)), limit, offset),
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

    def warning_totals(self, team_id: int) -> list[tuple[str, int, float]]:
        """(type, how many, when the last was recorded) of a project's warnings, ever."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT type, count(*), max(created_at) FROM warnings WHERE team_id = ? "
                "GROUP BY type",
                (team_id,),
            ).fetchall()
        return [(str(t), int(n), float(last)) for t, n, last in rows]

    def warning_buckets(
        self, team_id: int, since: float, bucket_seconds: int
    ) -> list[tuple[str, float, int]]:
        """(type, bucket start, how many) of a project's warnings recorded since `since`,
        counted in buckets of `bucket_seconds` (epoch-aligned)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT type, CAST(created_at / ? AS INTEGER) AS bucket, count(*) FROM warnings "
                "WHERE team_id = ? AND created_at >= ? GROUP BY type, bucket",
                (bucket_seconds, team_id, since),
            ).fetchall()
        return [(str(t), float(b) * bucket_seconds, int(n)) for t, b, n in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
