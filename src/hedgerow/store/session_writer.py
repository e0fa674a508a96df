"""Writing the sessions table: the buffered rows of many batches (`session_buffer.py`) in one
insert every few seconds, and what makes that safe after a crash.

When the rows are written. `add` (the store's insert, after the batch's events) writes them
once `flush_seconds` have passed since the last write, or when the buffer holds
`max_sessions` sessions; `flush` writes them at once: the ingestion worker calls it when it
catches up (before it reports the batch done, so a caught-up server's sessions are
complete), between batches (erasure, backup), deletes before they delete, and the store when
it closes. `flush_seconds=0` writes each batch's rows with the batch.

Crash safety: the watermark. A write also records (every `MARK_SECONDS` at most, and always
when the store closes), in `sessions_written`, the highest block number of the events
table's parts at that moment (each INSERT into a MergeTree makes a part whose name carries
the block number the table gave it, always higher than any before; a merge keeps the highest
of its parts, a mutation keeps it too). Every event in a part at or below the watermark has
its states in the sessions table; the events of the parts above it (inserted since the last
watermark was recorded) may not. So when the store opens, it aggregates again, from the
stored events, the sessions of the events in parts above the watermark and inserts those
states (the same query as the backfill, on those events only): the states are idempotent
(min, max, argMin, argMax, uniqExact of uuids), so states that were written before the crash
and are inserted again change nothing, and a part that a merge made of old and new events is
read whole, which is more than needed and still right. Then it records the events table's
highest block, so a store whose parts all went (block numbers start again) starts clean. The
events and the watermark are written by this process only; the lock makes an insert and its
buffering one step, which a write never splits.

Deletes (`deletes.py`) write the buffered rows first: rows buffered from events about to be
deleted would otherwise be written after the delete and bring their sessions back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from hedgerow.event import IngestEvent
from hedgerow.store.events import QueryResult
from hedgerow.store.insert_rows import Statement
from hedgerow.store.schema import DATABASE
from hedgerow.store.session_buffer import SessionBuffer
from hedgerow.store.session_rows import sessions_arrow
from hedgerow.store.sessions_schema import (
    SESSIONS_TABLE,
    sessions_insert_sql,
    sessions_select_sql,
)

log = logging.getLogger(__name__)

WATERMARK_TABLE = f"{DATABASE}.sessions_written"
FLUSH_SECONDS = 5.0
MAX_SESSIONS = 50_000
MARK_SECONDS = 10.0  # the watermark is recorded at most this often (and at close)
# The highest block number of the events table's part a row was read from.
_PART_BLOCK = "toUInt64(splitByChar('_', _part)[3])"


class SessionWriter:
    def __init__(
        self,
        insert: Callable[[Statement, pa.Table], None],
        execute: Callable[[str], Any],
        select: Callable[[str], QueryResult],
        *,
        flush_seconds: float = FLUSH_SECONDS,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        self._insert = insert  # the store's: the same rows in chDB and on a server
        self._execute = execute
        self._select = select
        self.flush_seconds = flush_seconds
        self.max_sessions = max_sessions
        self.lock = threading.RLock()
        self.buffer = SessionBuffer()
        self._written_at = time.monotonic()
        self._marked_at = 0.0
        self._unmarked = False  # rows written since the watermark was recorded
        self._seq = 0
        self.recovered_events = self._recover()

    def add(self, events: Sequence[IngestEvent]) -> None:
        """Buffer a batch's sessions (its events are stored); write the rows when due."""
        with self.lock:
            self.buffer.add(events)
            due = time.monotonic() - self._written_at >= self.flush_seconds
            if due or len(self.buffer.rows) >= self.max_sessions:
                self._write()

    def flush(self, *, final: bool = False) -> None:
        """Write the buffered rows now (nothing when no event came since the last write);
        `final` (the store closes) records the watermark too."""
        with self.lock:
            self._write(final=final)

    def _write(self, *, final: bool = False) -> None:
        """Write the buffered rows; record the watermark when it is due. A watermark older
        than it could be is still right (the recovery reads more events), so it is recorded
        every `MARK_SECONDS` rather than with every write: a server that catches up after
        each batch writes its sessions with each batch, and only them."""
        buffer = self.buffer
        if buffer.events:
            if buffer.rows:
                self._insert(sessions_insert_sql, sessions_arrow(list(buffer.rows.values())))
            buffer.clear()
            self._written_at = time.monotonic()
            self._unmarked = True
        if self._unmarked and (final or time.monotonic() - self._marked_at >= MARK_SECONDS):
            self._mark(self._events_block())  # the buffer is empty: every part is written

    def mark_written(self) -> None:
        """Record that the sessions of every stored event are in the table: for events and
        sessions copied in around the store (`hedgerow migrate --to`), which the next start
        must not aggregate again."""
        with self.lock:
            self._mark(self._events_block())

    def _events_block(self) -> int:
        rows = self._select(
            "SELECT max(max_block_number) FROM system.parts "
            f"WHERE database = '{DATABASE}' AND table = 'events' AND active"
        ).rows
        return int(rows[0][0] or 0) if rows else 0

    def _mark(self, block: int) -> None:
        self._seq += 1
        self._execute(f"INSERT INTO {WATERMARK_TABLE} (seq, block) VALUES ({self._seq}, {block})")
        self._marked_at = time.monotonic()
        self._unmarked = False

    def _recover(self) -> int:
        """Insert the states of the events stored after the last write (a crash lost their
        buffered rows); return how many events that was."""
        self._execute(
            f"CREATE TABLE IF NOT EXISTS {WATERMARK_TABLE} (seq UInt64, block UInt64) "
            "ENGINE = ReplacingMergeTree(seq) ORDER BY tuple()"
        )
        seq, block, rows = self._select(
            f"SELECT max(seq), argMax(block, seq), count() FROM {WATERMARK_TABLE}"
        ).rows[0]
        self._seq = int(seq)
        recovered = 0
        if int(rows):  # no watermark yet: sessions were written with each batch until now
            after = f"{_PART_BLOCK} > {int(block)}"
            counted = self._select(f"SELECT count() FROM {DATABASE}.events WHERE {after}")
            recovered = int(counted.rows[0][0])
            if recovered:
                started = time.monotonic()
                self._execute(f"INSERT INTO {SESSIONS_TABLE} {sessions_select_sql(after)}")
                log.warning(
                    "sessions of %d events stored after the last write of the sessions table "
                    "(the server stopped without writing them) aggregated again in %.1f s",
                    recovered,
                    time.monotonic() - started,
                )
        self._mark(self._events_block())
        return recovered
