"""The sessions of a store from before the sessions table, built once from its stored events
in windows of time, so that the memory it takes does not grow with the store, and resumed
where it stopped when a start was interrupted.

Why windows. Aggregating every stored event at once (one INSERT ... SELECT ... GROUP BY
session) holds the aggregation states of all the store's sessions in memory until the end:
several KB a session, 2.5 GiB over the process's own on a million events and past 12 GiB
on ten million (docs/benchmarks.md, "Opening a store from before the sessions table").
Here the number of events of each hour is read first (the timestamp column only),
consecutive hours are packed into windows of about `WINDOW_EVENTS` events, and each
window's sessions are aggregated and inserted on their own, so the states held are those
of one window. A session whose events fall in two windows gets a row from each: the
table's rows are partial states, which its merges and every query combine per session
(`sessions_schema.py`), as they combine the rows that ingestion writes batch by batch. As a
safety net for an hour larger than a window, each window's aggregation spills to disk past
`SPILL_BYTES` (`max_bytes_before_external_group_by`).

Resuming. After each window, the end of the time it covered is recorded in
`sessions_backfill`; a start interrupted half-way goes on from the last end recorded. A
window whose rows were inserted but whose end was not recorded is inserted again: the states
are idempotent (min, max, argMin, argMax, uniqExact of uuids), so its sessions are still
counted once. The sessions table is emptied only when a backfill begins (no end recorded).
Nothing inserts events while the store opens, so the windows read a store that stays still.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hedgerow.store.events import QueryResult
from hedgerow.store.schema import DATABASE, EVENTS_TABLE
from hedgerow.store.sessions_schema import SESSIONS_TABLE, sessions_select_sql

log = logging.getLogger(__name__)

Execute = Callable[[str], Any]
Select = Callable[[str], QueryResult]

PROGRESS_TABLE = f"{DATABASE}.sessions_backfill"
# Events a window aggregates (at least, but the last window; an hour with more is a window
# alone): about 0.8 GiB over the process's own at one session per two events, where one
# statement over a million events took 2.5 GiB (docs/benchmarks.md).
WINDOW_EVENTS = 250_000
# A window's aggregation state beyond this goes to disk (ClickHouse's external GROUP BY).
SPILL_BYTES = 1 << 30
_HOUR_MICROS = 3_600_000_000


@dataclass(frozen=True)
class Window:
    """Consecutive hours of stored events: hours since the epoch (UTC), the last excluded."""

    start: int
    end: int
    events: int

    def condition(self) -> str:
        return f"timestamp >= {_moment(self.start)} AND timestamp < {_moment(self.end)}"

    def describe(self) -> str:
        return f"{_hour_text(self.start)} to {_hour_text(self.end)}"


def _hour_text(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _moment(hour: int) -> str:
    return f"toDateTime64('{_hour_text(hour)}', 6, 'UTC')"


def plan_windows(hours: Sequence[tuple[int, int]], window_events: int) -> list[Window]:
    """Pack (hour, events) in time order into windows of consecutive hours holding at least
    `window_events` events each, but the last (fewer) and one hour holding more alone."""
    windows: list[Window] = []
    first: int | None = None
    events = 0
    for hour, count in hours:
        if first is None:
            first = hour
        events += count
        if events >= window_events:
            windows.append(Window(first, hour + 1, events))
            first, events = None, 0
    if first is not None:
        windows.append(Window(first, hours[-1][0] + 1, events))
    return windows


def window_insert_sql(window: Window) -> str:
    """The states of the sessions of the window's events, inserted into the sessions table,
    with the aggregation's memory bounded."""
    select = sessions_select_sql(window.condition()).rstrip()
    return (
        f"INSERT INTO {SESSIONS_TABLE} {select} "
        f"SETTINGS max_bytes_before_external_group_by = {SPILL_BYTES}"
    )


def backfill_sessions(execute: Execute, select: Select, window_events: int = 0) -> None:
    """Fill the sessions table from the stored events, window by window (`WINDOW_EVENTS`
    each unless `window_events` is given), from where an interrupted backfill stopped."""
    execute(
        f"CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (done_before Int64) "
        "ENGINE = MergeTree ORDER BY tuple()"
    )
    recorded, done_before = select(f"SELECT count(), max(done_before) FROM {PROGRESS_TABLE}").rows[
        0
    ]
    since = ""
    if int(recorded):
        since = f"WHERE timestamp >= {_moment(int(done_before))}"
        log.info("resuming the sessions backfill from %s", _hour_text(int(done_before)))
    else:
        execute(f"TRUNCATE TABLE {SESSIONS_TABLE}")
    hours = select(
        f"SELECT toInt64(floor(toUnixTimestamp64Micro(timestamp) / {_HOUR_MICROS})) AS hour, "
        f"count() FROM {EVENTS_TABLE} {since} GROUP BY hour ORDER BY hour"
    ).rows
    windows = plan_windows([(int(h), int(c)) for h, c in hours], window_events or WINDOW_EVENTS)
    total = sum(w.events for w in windows)
    log.info("building sessions from %d stored events in %d windows", total, len(windows))
    done = 0
    for number, window in enumerate(windows, 1):
        started = time.monotonic()
        insert_window(execute, window)
        execute(f"INSERT INTO {PROGRESS_TABLE} VALUES ({window.end})")
        done += window.events
        log.info(
            "sessions backfill: window %d of %d (%s, %d events) in %.1f s, %d of %d events done",
            number,
            len(windows),
            window.describe(),
            window.events,
            time.monotonic() - started,
            done,
            total,
        )


def insert_window(execute: Execute, window: Window) -> None:
    execute(window_insert_sql(window))


def forget_progress(execute: Execute) -> None:
    """Drop the record of the windows done, once the backfill is marked done."""
    execute(f"DROP TABLE IF EXISTS {PROGRESS_TABLE}")
