"""The event store's rows copied from chDB onto the ClickHouse server, in ClickHouse's Native
format (each column's values as the engine holds them: nothing parsed or converted), one
window at a time.

A window's rows are read with `SELECT <stored columns> ... FORMAT Native` and inserted with
the same columns (materialized ones are computed again by the server). Before a window is
copied, its rows are counted on both sides: a window the server has whole already (copied
before an interruption) is skipped. Events are inserted with the window's deduplication
token, so a window retried after a failure in the middle stores each event once; after each
window the server's count must equal the source's, or the migration stops.

The person mirror, the overrides and the sessions (Replacing- and AggregatingMergeTree
tables, without a deduplication window) are cut into windows by a hash of their sorting
key, and counted as their merges leave them (FINAL: one row per key), since either side may
have merged more; a window found in part on the server is deleted there and copied again
(a window of sessions found there at all: see `SESSIONS`).
The sessions' aggregate states are copied as they are (not built again from the events:
sessions whose events were partly deleted are gone whole, as on the installation), and the
sessions' watermark is recorded after them (`SessionWriter.mark_written`), so the server's
next start aggregates none again. The override map and the index dictionary are filled
from the copied overrides.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from clickhouse_connect.driver.exceptions import ClickHouseError

from hedgerow.migration.checkpoint import Checkpoint
from hedgerow.migration.event_windows import DAY_COUNTS_SQL, Window, plan_windows
from hedgerow.migration.source import MigrationRefused
from hedgerow.postgres import without_password
from hedgerow.row_progress import RowProgress
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.clickhouse_server import ClickHouseServerEventStore
from hedgerow.store.events import QueryFailed
from hedgerow.store.schema import DATABASE, OVERRIDES, override_map_fill_sql, quote_string

# ClickHouse tables copied besides the events (Replacing- and AggregatingMergeTree), with
# their sorting key, which their windows hash: every row of a key goes in the same window.
OTHER_TABLES = {
    OVERRIDES: "team_id, old_person_id",
    "persons": "team_id, id",
    "person_distinct_ids": "team_id, distinct_id",
    "sessions": "team_id, session_id",
}
# The server's store, when a resumed migration opens it, aggregates the sessions of the events
# copied since it was last opened (its crash recovery, `session_writer.py`): partial states
# of whole sessions, which a count cannot tell from the copied ones, so a window of sessions
# found on the server is always replaced.
SESSIONS = "sessions"


class MigrationFailed(RuntimeError):
    """The server does not hold what was copied; the message says what differs."""


def open_target(url: str) -> ClickHouseServerEventStore:
    """The server's event store, its schema created; refused when it cannot be reached."""
    try:
        return ClickHouseServerEventStore(url)
    except (ClickHouseError, QueryFailed) as exc:
        raise MigrationRefused(
            f"cannot use the ClickHouse server at {without_password(url)} ({exc}): check the "
            "URL, that the server runs and that this user may create the `hedgerow` database."
        ) from exc


def stored_columns(store: ChdbEventStore, table: str) -> list[str]:
    """The table's columns that hold values (not computed from others), in order."""
    rows = store.run(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} "
        "AND default_kind NOT IN ('MATERIALIZED', 'ALIAS', 'EPHEMERAL') ORDER BY position",
        {"db": DATABASE, "t": table},
    ).rows
    return [str(r[0]) for r in rows]


def count_rows(store: ChdbEventStore, table: str, condition: str = "1") -> int:
    """The rows of `condition`; for the tables whose merges combine rows of a key, the rows
    once merged (FINAL), which do not depend on which merges have run on either side."""
    final = " FINAL" if table in OTHER_TABLES else ""
    rows = store.run(f"SELECT count() FROM {DATABASE}.{table}{final} WHERE {condition}").rows
    return int(rows[0][0])


def holds_data(target: ClickHouseServerEventStore) -> list[str]:
    """The tables of the server that hold rows (empty: a new database)."""
    return [t for t in ("events", *OTHER_TABLES) if count_rows(target, t)]


def _copy_window(
    source: ChdbEventStore,
    target: ClickHouseServerEventStore,
    table: str,
    condition: str,
    token: str | None,
    *,
    replace: bool = False,
) -> int:
    """Copy the rows of `condition` unless the server has them all (with `replace`, rows
    found there are always deleted and copied again); return how many rows the window has."""
    expected = count_rows(source, table, condition)
    present = count_rows(target, table, condition)
    if present == expected and not replace:
        return expected
    if present and token is None:  # no deduplication: start the window again
        target.run(f"DELETE FROM {DATABASE}.{table} WHERE {condition}")
    columns = ", ".join(f"`{c}`" for c in stored_columns(source, table))
    data = b"".join(
        source.stream(
            f"SELECT {columns} FROM {DATABASE}.{table} WHERE {condition}", output="Native"
        )
    )
    dedup = (
        f" SETTINGS insert_deduplication_token = {quote_string(token)}, insert_deduplicate = 1"
        if token
        else ""
    )
    target.insert_formatted(
        f"INSERT INTO {DATABASE}.{table} ({columns}){dedup} FORMAT Native", data
    )
    stored = count_rows(target, table, condition)
    if stored != expected:
        raise MigrationFailed(
            f"{table} where {condition}: {expected} row(s) in the installation, {stored} on "
            "the server after the copy"
        )
    return expected


def plan_event_windows(source: ChdbEventStore, window_rows: int) -> list[Window]:
    return plan_windows(source.run(DAY_COUNTS_SQL).rows, window_rows)


def copy_events(
    source: ChdbEventStore,
    target: ClickHouseServerEventStore,
    checkpoint: Checkpoint,
    save: Callable[[], None],
    progress: RowProgress,
) -> None:
    for key in source.materialized_columns():  # the server computes the same columns
        target.materialize(key)
    windows = [Window.from_list(w) for w in checkpoint.event_windows or []]
    for window in windows[: checkpoint.next_event_window]:
        progress.advance(window.rows)
    for index in range(checkpoint.next_event_window, len(windows)):
        window = windows[index]
        rows = _copy_window(source, target, "events", window.condition(), window.dedup_token())
        checkpoint.next_event_window = index + 1
        save()
        progress.advance(rows)


def other_tables_total(source: ChdbEventStore) -> int:
    return sum(count_rows(source, table) for table in OTHER_TABLES)


def copy_other_tables(
    source: ChdbEventStore,
    target: ClickHouseServerEventStore,
    checkpoint: Checkpoint,
    save: Callable[[], None],
    progress: RowProgress,
) -> None:
    for table, key in OTHER_TABLES.items():
        if table not in checkpoint.event_tables:
            parts = max(1, math.ceil(count_rows(source, table) / checkpoint.window_rows))
            checkpoint.event_tables[table] = [0, parts]
        start, parts = checkpoint.event_tables[table]
        for part in range(start, parts):
            condition = "1" if parts == 1 else f"cityHash64({key}) % {parts} = {part}"
            copied = _copy_window(source, target, table, condition, None, replace=table == SESSIONS)
            progress.advance(copied)
            checkpoint.event_tables[table] = [part + 1, parts]
            save()
    _copy_marks(source, target)
    target.run(override_map_fill_sql())
    target.reload_index_map()
    checkpoint.event_tables_done = True
    save()


def _copy_marks(source: ChdbEventStore, target: ClickHouseServerEventStore) -> None:
    """The upgrades the installation's store has done (`migrations`), so that the server's
    does not look for their work again (person indexes given to every stored event)."""
    marks = f"SELECT DISTINCT name FROM {DATABASE}.migrations"
    done = {str(r[0]) for r in target.run(marks).rows}
    for (name,) in source.run(marks).rows:
        if name not in done:
            target.run(f"INSERT INTO {DATABASE}.migrations VALUES ({quote_string(str(name))})")


def mark_sessions_written(target: ClickHouseServerEventStore, checkpoint: Checkpoint) -> None:
    target.sessions.mark_written()
    checkpoint.sessions_done = True
