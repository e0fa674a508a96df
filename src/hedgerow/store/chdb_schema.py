"""The event store's tables, created or brought up to date when the store opens.

Two steps around the one migration that needs the store itself (overrides once kept by
distinct id are applied to the events by `ChdbEventStore`): `create_schema` makes the
tables that migration reads and writes, `finish_schema` adds what later versions brought
(the first-seen projection, lightweight deletes, the sessions table, the
override and index maps, the person mirror, the web analytics pre-aggregate). Steps that
rewrite stored data run once and leave a mark in the `migrations` table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from hedgerow.store.events import QueryResult
from hedgerow.store.schema import (
    DATABASE,
    FIRST_SEEN,
    OVERRIDES,
    events_ddl,
    first_seen_projection_ddl,
    index_map_ddl,
    lightweight_delete_mode_ddl,
    override_map_ddl,
    override_map_fill_sql,
    overrides_ddl,
    person_mirror_ddl,
    quote_string,
)
from hedgerow.store.sessions_backfill import backfill_sessions, forget_progress
from hedgerow.store.sessions_schema import SESSIONS_VIEW, sessions_table_ddl
from hedgerow.store.web_daily_schema import web_daily_ddl

log = logging.getLogger(__name__)

Execute = Callable[[str], Any]
Select = Callable[[str], QueryResult]

# Marks a store whose parts were asked to build the first-seen projection.
_FIRST_SEEN_BUILT = "first_seen_projection"
# Marks a store whose sessions table holds every stored event (`_build_sessions`).
_SESSIONS = "sessions"


def create_schema(execute: Execute) -> None:
    """The database, the events and overrides tables (with the columns later versions added)
    and the table of migrations done."""
    execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    execute(events_ddl())
    execute(overrides_ddl())
    for table, column, after in (  # stores from before person indexes
        ("events", "person_idx", "person_id"),
        (OVERRIDES, "old_person_idx", "version"),
        (OVERRIDES, "person_idx", "old_person_idx"),
    ):
        execute(
            f"ALTER TABLE {DATABASE}.{table} ADD COLUMN IF NOT EXISTS {column} UInt64 AFTER {after}"
        )
    execute(
        f"CREATE TABLE IF NOT EXISTS {DATABASE}.migrations (name String) "
        "ENGINE = MergeTree ORDER BY name"
    )


def finish_schema(execute: Execute, select: Select) -> None:
    _add_first_seen_projection(execute, select)
    execute(lightweight_delete_mode_ddl())
    _build_sessions(execute, select)
    execute(override_map_ddl())
    execute(index_map_ddl())
    execute(override_map_fill_sql())
    for ddl in [*person_mirror_ddl(), *web_daily_ddl()]:
        execute(ddl)


def _done(select: Select, mark: str) -> bool:
    rows = select(f"SELECT count() FROM {DATABASE}.migrations WHERE name = {quote_string(mark)}")
    return bool(int(rows.rows[0][0]))


def _mark_done(execute: Execute, mark: str) -> None:
    execute(f"INSERT INTO {DATABASE}.migrations VALUES ({quote_string(mark)})")


def _add_first_seen_projection(execute: Execute, select: Select) -> None:
    """Add the first-seen projection; parts stored before it get theirs from a background
    mutation, started once (queries are right meanwhile, only slower)."""
    execute(first_seen_projection_ddl())
    if not _done(select, _FIRST_SEEN_BUILT):
        execute(f"ALTER TABLE {DATABASE}.events MATERIALIZE PROJECTION {FIRST_SEEN}")
        _mark_done(execute, _FIRST_SEEN_BUILT)


def _build_sessions(execute: Execute, select: Select) -> None:
    """Create the sessions table (the store's inserts keep it) and drop the materialized
    view that kept it before (its rows stay: same states); a store from before the table
    gets its sessions from its stored events, once, in windows of time (memory bounded),
    and a start interrupted before the mark goes on from the last window done
    (`sessions_backfill.py`)."""
    execute(sessions_table_ddl())
    execute(f"DROP VIEW IF EXISTS {SESSIONS_VIEW}")
    if _done(select, _SESSIONS):
        return
    started = time.monotonic()
    backfill_sessions(execute, select)
    _mark_done(execute, _SESSIONS)
    forget_progress(execute)
    log.info("sessions built from stored events in %.1f s", time.monotonic() - started)
