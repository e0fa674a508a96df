"""The embedded intake log: a SQLite database in WAL mode with group commit.

Appends from concurrent requests go to one writer thread, which takes every append waiting
at that moment, writes them in one transaction and commits with `synchronous=FULL` (one
fsync for the group). Each caller is answered only after that commit, and every caller of a
transaction that failed (a full disk, an I/O error) gets a 503: the transaction is rolled
back (the connection reopened if a failed COMMIT left it open), so nothing of it is kept and
the next one starts clean.

Before queueing, an append is refused with 503 (`pressure.py`) when the disk is nearly full,
when the oldest unprocessed entry has waited longer than `max_lag`, when more unprocessed
events wait than `max_backlog`, or when more than `max_pending_bytes` already wait for the
writer: clients retry instead of the server growing its memory or its disk.
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

from hedgerow.intake.log import Backlog, IntakeEntry
from hedgerow.intake.pressure import (
    DiskSpace,
    ingestion_lagging,
    intake_busy,
    intake_full,
    intake_unavailable,
)

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

COMMIT_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class _Append:
    team_id: int
    count: int
    payload: bytes
    future: concurrent.futures.Future[int]


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
    def __init__(
        self,
        path: Path,
        *,
        max_backlog: int = 5_000_000,
        max_lag: float | None = None,
        disk: DiskSpace | None = None,
        max_pending_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.path = path
        self.max_backlog = max_backlog
        self.max_lag = max_lag
        self.disk = disk
        self.max_pending_bytes = max_pending_bytes
        self._writer = _connect(path)
        self._writer.executescript(_SCHEMA)
        self._reader = _connect(path)
        self._reader_lock = threading.Lock()
        # Every write (appends and consumer commits) goes through one writer thread, so
        # that no writer ever waits on SQLite's busy handler for another.
        self._queue: queue.SimpleQueue[_Append | _Commit | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._backlog = self._count_backlog()
        self._pending_bytes = 0  # payloads queued for the writer, not yet written
        # When the oldest unprocessed entry was appended (None: none waits). The writer thread
        # keeps it: set by the first append after an empty backlog, read again at each commit.
        self._oldest_unprocessed: float | None = self._read_oldest(self._reader)
        self._requested: dict[str, int] = {}  # offsets committed but maybe not yet written
        self._unwritten: dict[str, int] = {}  # commits that failed to write, retried
        self._next_retry = 0.0
        self.group_commits = 0  # how many transactions appends took (for tests and benchmarks)
        self._thread = threading.Thread(target=self._write_loop, name="intake-writer", daemon=True)
        self._thread.start()

    # -- appending -----------------------------------------------------------------------

    async def append(self, team_id: int, count: int, payload: bytes) -> int:
        with self._lock:
            self._admit(count, len(payload))
            self._backlog += count
            self._pending_bytes += len(payload)
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._queue.put(_Append(team_id, count, payload, future))
        # Cancelled while still queued, the append is skipped by the writer; once it is
        # being written it completes. Either way the writer settles the counters.
        return await asyncio.wrap_future(future)

    def check_pressure(self) -> None:
        with self._lock:
            self._admit(0, 0)

    def _admit(self, count: int, size: int) -> None:
        """Raise the 503 that applies when capture must not append now."""
        if self.disk is not None:
            self.disk.check()
        if self.max_lag is not None and (lag := self.lag()) > self.max_lag:
            raise ingestion_lagging(lag, self.max_lag)
        if self._backlog + count > self.max_backlog:
            raise intake_full(self._backlog, self.max_backlog)
        if self._pending_bytes and self._pending_bytes + size > self.max_pending_bytes:
            raise intake_busy(self._pending_bytes, self.max_pending_bytes)

    def lag(self) -> float:
        """Seconds the oldest unprocessed entry has waited (0 when none waits)."""
        oldest = self._oldest_unprocessed
        return 0.0 if oldest is None else max(0.0, time.time() - oldest)

    def append_blocking(self, team_id: int, count: int, payload: bytes) -> int:
        """The same as `append`, for callers outside an event loop (tests, tools)."""
        return asyncio.run(self.append(team_id, count, payload))

    def _write_loop(self) -> None:
        while True:
            try:
                timeout = COMMIT_RETRY_SECONDS if self._unwritten else None
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                self._retry_unwritten()
                continue
            group: list[_Append] = []
            commits: list[_Commit] = []
            while item is not None:
                if isinstance(item, _Commit):
                    commits.append(item)
                elif item.future.set_running_or_notify_cancel():
                    group.append(item)
                else:  # its request was cancelled while it waited: never acknowledged
                    self._settle([item], written=False)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if group:
                self._commit_group(group)
            for commit in commits:
                self._apply_commit(commit)
            self._retry_unwritten()
            if item is None:
                return

    def _settle(self, group: list[_Append], *, written: bool) -> None:
        with self._lock:
            self._pending_bytes -= sum(len(a.payload) for a in group)
            if not written:
                self._backlog -= sum(a.count for a in group)

    def _commit_group(self, group: list[_Append]) -> None:
        now = time.time()
        try:
            self._writer.execute("BEGIN IMMEDIATE")
            offsets = []
            for append in group:
                cursor = self._writer.execute(
                    "INSERT INTO entries (team_id, count, payload, appended_at) VALUES (?,?,?,?)",
                    (append.team_id, append.count, append.payload, now),
                )
                offsets.append(cursor.lastrowid)
            self._writer.execute("COMMIT")
        except Exception as exc:  # a full disk, an I/O error: nothing of the group is kept
            self._abort()
            log.error("intake log append of %d entries failed: %s", len(group), exc)
            self._settle(group, written=False)
            error = intake_unavailable(str(exc))
            for append in group:
                append.future.set_exception(error)
            return
        self.group_commits += 1
        if self._oldest_unprocessed is None:
            self._oldest_unprocessed = now
        self._settle(group, written=True)
        for append, offset in zip(group, offsets, strict=True):
            append.future.set_result(int(offset or 0))

    def _abort(self) -> None:
        """Roll back the writer's transaction after a failed statement. SQLite may already
        have rolled it back (then ROLLBACK fails harmlessly); if a transaction is still open
        after that (a failed COMMIT whose rollback failed too), the connection is replaced so
        that the next transaction does not start inside it."""
        with contextlib.suppress(sqlite3.Error):
            self._writer.execute("ROLLBACK")
        with contextlib.suppress(sqlite3.ProgrammingError):  # closed: reconnect below
            if not self._writer.in_transaction:
                return
        log.error("the intake log's writer is unusable after a failure; reconnecting")
        with contextlib.suppress(sqlite3.Error):
            self._writer.close()
        try:
            self._writer = _connect(self.path)
        except sqlite3.Error as exc:  # the next write fails on the closed one and retries
            log.error("reopening the intake log failed: %s", exc)

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

    def head(self) -> int:
        """The offset of the last entry appended (0: none yet)."""
        with self._reader_lock:
            row = self._reader.execute("SELECT max(offset) FROM entries").fetchone()
        return int(row[0] or 0)

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
            log.error("committing an intake offset failed (retried): %s", future.exception())
            return
        with self._lock:
            self._backlog -= future.result()

    def _retry_unwritten(self) -> None:
        """Write again the consumer commits that failed: until they are written, the backlog
        and the lag would stay as they were, and capture could refuse for ever."""
        if not self._unwritten or time.monotonic() < self._next_retry:
            return
        self._next_retry = time.monotonic() + COMMIT_RETRY_SECONDS
        for consumer, offset in list(self._unwritten.items()):
            future: concurrent.futures.Future[int] = concurrent.futures.Future()
            future.add_done_callback(self._committed)
            self._apply_commit(_Commit(consumer, offset, future))

    def _apply_commit(self, commit: _Commit) -> None:
        conn = self._writer
        oldest = self._oldest_unprocessed
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
                oldest = self._read_oldest(conn)
            conn.execute("COMMIT")
        except Exception as exc:
            self._abort()
            if commit.offset > self._unwritten.get(commit.consumer, 0):
                self._unwritten[commit.consumer] = commit.offset
                self._next_retry = time.monotonic() + COMMIT_RETRY_SECONDS
            commit.future.set_exception(exc)
            return
        if self._unwritten.get(commit.consumer, 0) <= commit.offset:
            self._unwritten.pop(commit.consumer, None)
        self._oldest_unprocessed = oldest
        commit.future.set_result(int(handled))

    @staticmethod
    def _read_oldest(conn: sqlite3.Connection) -> float | None:
        """When the oldest entry not yet handled by every consumer was appended (handled
        entries are deleted in the commit that handles them)."""
        row = conn.execute(
            "SELECT appended_at FROM entries "
            "WHERE offset > COALESCE((SELECT MIN(committed) FROM consumers), 0) "
            "ORDER BY offset LIMIT 1"
        ).fetchone()
        return None if row is None else float(row[0])

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
