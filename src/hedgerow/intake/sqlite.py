"""The embedded intake log: a SQLite database in WAL mode with group commit.

Appends from concurrent requests go to one writer thread, which takes every append waiting
at that moment, writes them in one transaction and commits with `synchronous=FULL` (one
fsync for the group). Each caller is answered only after that commit. When more unprocessed
events wait than `max_backlog`, or the disk refuses the write, appends fail with 503 so that
clients retry instead of the server growing its memory.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hedgerow.errors import ServiceUnavailable
from hedgerow.intake.log import Backlog, IntakeEntry

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    offset INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    count INTEGER NOT NULL,
    payload BLOB NOT NULL,
    appended_at REAL NOT NULL
);
-- Backlog sums read this index only, never the payload blobs.
CREATE INDEX IF NOT EXISTS entries_backlog ON entries (offset, team_id, count, appended_at);
CREATE TABLE IF NOT EXISTS consumers (
    name TEXT PRIMARY KEY,
    committed INTEGER NOT NULL
);
"""

_Pending = tuple[int, int, bytes, "concurrent.futures.Future[int]"]


@dataclass(frozen=True)
class _Commit:
    consumer: str
    offset: int
    future: concurrent.futures.Future[int]


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class SqliteIntakeLog:
    def __init__(self, path: Path, *, max_backlog: int = 5_000_000) -> None:
        self.path = path
        self.max_backlog = max_backlog
        self._writer = _connect(path)
        self._writer.executescript(_SCHEMA)
        self._reader = _connect(path)
        self._reader_lock = threading.Lock()
        # Every write (appends and consumer commits) goes through one writer thread, so
        # that no writer ever waits on SQLite's busy handler for another.
        self._queue: queue.SimpleQueue[_Pending | _Commit | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._backlog = self._count_backlog()
        self._requested: dict[str, int] = {}  # offsets committed but maybe not yet written
        self.group_commits = 0  # how many transactions appends took (for tests and benchmarks)
        self._thread = threading.Thread(target=self._write_loop, name="intake-writer", daemon=True)
        self._thread.start()

    # -- appending -----------------------------------------------------------------------

    async def append(self, team_id: int, count: int, payload: bytes) -> int:
        with self._lock:
            if self._backlog + count > self.max_backlog:
                raise ServiceUnavailable(
                    f"The intake log holds {self._backlog} unprocessed events, its limit is "
                    f"{self.max_backlog}. Retry shortly.",
                    code="intake_full",
                )
            self._backlog += count
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._queue.put((team_id, count, payload, future))
        try:
            return await asyncio.wrap_future(future)
        except BaseException:
            with self._lock:
                self._backlog -= count
            raise

    def append_blocking(self, team_id: int, count: int, payload: bytes) -> int:
        """The same as `append`, for callers outside an event loop (tests, tools)."""
        return asyncio.run(self.append(team_id, count, payload))

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            group: list[_Pending] = []
            commits: list[_Commit] = []
            while item is not None:
                if isinstance(item, _Commit):
                    commits.append(item)
                else:
                    group.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if group:
                self._commit_group(group)
            for commit in commits:
                self._apply_commit(commit)
            if item is None:
                return

    def _commit_group(self, group: list[_Pending]) -> None:
        now = time.time()
        try:
            self._writer.execute("BEGIN IMMEDIATE")
            offsets = []
            for team_id, count, payload, _ in group:
                cursor = self._writer.execute(
                    "INSERT INTO entries (team_id, count, payload, appended_at) VALUES (?,?,?,?)",
                    (team_id, count, payload, now),
                )
                offsets.append(cursor.lastrowid)
            self._writer.execute("COMMIT")
            self.group_commits += 1
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute("ROLLBACK")
            log.error("intake log append failed: %s", exc)
            error = ServiceUnavailable(
                f"The intake log could not store the events ({exc}). Retry shortly.",
                code="intake_unavailable",
            )
            for *_, future in group:
                future.set_exception(error)
            return
        for (*_, future), offset in zip(group, offsets, strict=True):
            future.set_result(int(offset or 0))

    # -- consuming -----------------------------------------------------------------------

    def _rows(self, sql: str, args: tuple[object, ...]) -> list[IntakeEntry]:
        with self._reader_lock:
            rows = self._reader.execute(sql, args).fetchall()
        return [IntakeEntry(*row) for row in rows]

    def read(
        self, consumer: str, max_events: int, *, after: int | None = None
    ) -> list[IntakeEntry]:
        """Entries after the consumer's offset (or `after`), up to `max_events` events (at
        least one entry). The sizes come from the covering index; only the chosen payloads
        are read."""
        if after is None:
            after = self.committed(consumer)
        last, total, limit = after, 0, 1024
        while total < max_events:
            with self._reader_lock:
                sizes = self._reader.execute(
                    "SELECT offset, count FROM entries INDEXED BY entries_backlog "
                    "WHERE offset > ? ORDER BY offset LIMIT ?",
                    (last, limit),
                ).fetchall()
            for offset, count in sizes:
                if last > after and total + count > max_events:
                    return self.read_range(after + 1, last)
                last, total = int(offset), total + int(count)
            if len(sizes) < limit:
                break
        return self.read_range(after + 1, last) if last > after else []

    def read_range(self, first: int, last: int) -> list[IntakeEntry]:
        return self._rows(
            "SELECT offset, team_id, count, payload, appended_at FROM entries "
            "WHERE offset BETWEEN ? AND ? ORDER BY offset",
            (first, last),
        )

    def committed(self, consumer: str) -> int:
        """The consumer's offset, including a commit asked for but not yet written."""
        with self._reader_lock:
            row = self._reader.execute(
                "SELECT committed FROM consumers WHERE name = ?", (consumer,)
            ).fetchone()
        stored = int(row[0]) if row else 0
        with self._lock:
            return max(stored, self._requested.get(consumer, 0))

    def commit(self, consumer: str, offset: int, *, wait: bool = True) -> None:
        """Move the consumer's offset. With `wait=False` the call returns at once and the
        write follows (in order with appends); reads see the new offset immediately."""
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        with self._lock:
            self._requested[consumer] = max(offset, self._requested.get(consumer, 0))
        future.add_done_callback(self._committed)
        self._queue.put(_Commit(consumer, offset, future))
        if wait:
            future.result()

    def _committed(self, future: concurrent.futures.Future[int]) -> None:
        if future.exception() is not None:
            log.error("committing an intake offset failed: %s", future.exception())
            return
        with self._lock:
            self._backlog -= future.result()

    def _apply_commit(self, commit: _Commit) -> None:
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")
            before = conn.execute(
                "SELECT committed FROM consumers WHERE name = ?", (commit.consumer,)
            ).fetchone()
            start = int(before[0]) if before else 0
            handled = 0
            if commit.offset > start:
                handled = conn.execute(
                    "SELECT COALESCE(SUM(count), 0) FROM entries WHERE offset > ? AND offset <= ?",
                    (start, commit.offset),
                ).fetchone()[0]
                conn.execute(
                    "INSERT INTO consumers (name, committed) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET committed = excluded.committed",
                    (commit.consumer, commit.offset),
                )
                low = conn.execute("SELECT MIN(committed) FROM consumers").fetchone()[0]
                conn.execute("DELETE FROM entries WHERE offset <= ?", (low,))
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            commit.future.set_exception(exc)
            return
        commit.future.set_result(int(handled))

    def _count_backlog(self) -> int:
        row = self._reader.execute(
            "SELECT COALESCE(SUM(count), 0) FROM entries "
            "WHERE offset > COALESCE((SELECT MIN(committed) FROM consumers), 0)"
        ).fetchone()
        return int(row[0])

    def backlog(self, team_id: int | None = None) -> Backlog:
        sql = (
            "SELECT COALESCE(SUM(count), 0), MIN(appended_at) FROM entries "
            "WHERE offset > COALESCE((SELECT MIN(committed) FROM consumers), 0)"
        )
        args: tuple[object, ...] = ()
        if team_id is not None:
            sql += " AND team_id = ?"
            args = (team_id,)
        with self._reader_lock:
            events, oldest = self._reader.execute(sql, args).fetchone()
        return Backlog(events=int(events), oldest_appended_at=oldest)

    def healthy(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._writer.close()
        with self._reader_lock:
            self._reader.close()
