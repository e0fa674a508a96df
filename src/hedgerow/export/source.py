"""What an export reads: the SQL of an `EventsQuery`'s filters or of a `HogQLQuery`, capped at
the export row limit, with the names of its columns.

An events export is read in time windows of at most about `WINDOW_ROWS` events (whole hours,
oldest first), one query each: its order (by day, time, uuid) needs ClickHouse to hold and
sort all the rows of a day, and to merge the day's parts side by side, before the first row
goes out; a window bounds that whatever a day holds. Measured on ten million events
(docs/benchmarks.md): one query peaked at 662 MiB resident.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import Compiler, QueryEnv
from hedgerow.query.events_query import KEY_ORDER_SETTINGS, event_conditions
from hedgerow.query.hogql.run import compile_hogql
from hedgerow.query.hogql.tokenizer import SqlError
from hedgerow.store.events import SettingValue
from hedgerow.store.schema import EVENTS_TABLE

# The shape PostHog's batch exports write (and `hedgerow import` reads).
EVENT_COLUMNS = (
    "uuid",
    "event",
    "distinct_id",
    "timestamp",
    "properties",
    "person_id",
    "person_properties",
    "elements_chain",
    "created_at",
)
_ISO = "'%Y-%m-%dT%H:%i:%S.%fZ'"
JSON_COLUMNS = frozenset({"properties", "person_properties"})
# Events per window of an events export (an hour with more is a window of its own).
WINDOW_ROWS = 16_384
_WINDOW = (
    "timestamp >= toDateTime64({export_from:Int64}, 6, 'UTC') "
    "AND timestamp < toDateTime64({export_to:Int64}, 6, 'UTC')"
)


@dataclass(frozen=True)
class ExportSource:
    sql: str
    params: dict[str, Any]
    columns: list[str]
    settings: Mapping[str, SettingValue] = field(default_factory=dict)
    events_shape: bool = False  # the fixed event columns (JSON columns hold JSON text)
    # Read in windows: `window_sql` once per (from, to) in Unix seconds, in order.
    window_sql: str | None = None
    windows: tuple[tuple[int, int], ...] = ()
    counting_sql: str | None = None  # counts the rows without sorting them (events)

    def count_sql(self) -> str:
        return self.counting_sql or f"SELECT count() FROM ({self.sql})"

    def queries(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The SQL and parameters to stream, in order: the rows of `sql`."""
        if self.window_sql is None:
            yield self.sql, self.params
            return
        for start, end in self.windows:
            yield self.window_sql, {**self.params, "export_from": start, "export_to": end}

    def wrapped(self, select: str, columns: list[str]) -> ExportSource:
        """The same rows through `SELECT {select} FROM (...)`, windows and all."""
        window_sql = (
            None if self.window_sql is None else f"SELECT {select} FROM ({self.window_sql})"
        )
        return ExportSource(
            f"SELECT {select} FROM ({self.sql})",
            self.params,
            columns,
            self.settings,
            window_sql=window_sql,
            windows=self.windows,
        )


def _windows(env: QueryEnv, where: list[str], params: dict[str, Any]) -> list[tuple[int, int]]:
    """Consecutive whole hours of at most about `WINDOW_ROWS` events, covering every hour
    that has an event the filters keep."""
    hours = env.store.query(
        "SELECT toUnixTimestamp(toStartOfHour(timestamp)) AS hour, count() "
        f"FROM {EVENTS_TABLE} WHERE {' AND '.join(where)} GROUP BY hour ORDER BY hour",
        params,
    ).rows
    windows: list[tuple[int, int]] = []
    start: int | None = None
    rows = end = 0
    for hour, count in ((int(h), int(n)) for h, n in hours):
        if start is not None and rows + count > WINDOW_ROWS:
            windows.append((start, end))
            start = None
        if start is None:
            start, rows = hour, 0
        rows += count
        end = hour + 3600
    if start is not None:
        windows.append((start, end))
    return windows


def events_source(env: QueryEnv, query: dict[str, Any], max_rows: int) -> ExportSource:
    """Every event the activity view's filters keep, oldest first, in the export columns."""
    compiler = Compiler(env)
    person_sql, where = event_conditions(compiler, query, person_wanted=True)
    expressions = {
        "uuid": "toString(uuid)",
        "event": "event",
        "distinct_id": "distinct_id",
        "timestamp": f"formatDateTime(event_time, {_ISO}, 'UTC')",
        "properties": "if(properties = '', '{}', properties)",
        "person_id": "toString(effective_person_id)",
        "person_properties": "if(person_properties = '', '{}', person_properties)",
        "elements_chain": "elements_chain",
        "created_at": f"formatDateTime(created_at, {_ISO}, 'UTC')",
    }
    # The filters read the stored columns; the outer SELECT formats them (an alias named
    # like a column would shadow it in WHERE), keeping the inner query's order.
    select = ", ".join(f"{sql} AS {name}" for name, sql in expressions.items())

    def select_sql(conditions: list[str]) -> str:
        inner = (
            "SELECT uuid, event, distinct_id, timestamp AS event_time, properties, "
            f"{person_sql} AS effective_person_id, person_properties, elements_chain, "
            f"created_at FROM {EVENTS_TABLE} WHERE {' AND '.join(conditions)} "
            f"ORDER BY toDate(timestamp), timestamp, uuid LIMIT {max_rows}"
        )
        return f"SELECT {select} FROM ({inner})"

    params = compiler.params.values
    return ExportSource(
        select_sql(where),
        params,
        list(EVENT_COLUMNS),
        {**KEY_ORDER_SETTINGS, "max_bytes_before_external_sort": 32 * 1024**2},
        events_shape=True,
        window_sql=select_sql([*where, _WINDOW]),
        windows=tuple(_windows(env, where, params)),
        counting_sql=(
            f"SELECT count() FROM (SELECT 1 FROM {EVENTS_TABLE} "
            f"WHERE {' AND '.join(where)} LIMIT {max_rows})"
        ),
    )


def sql_source(env: QueryEnv, text: Any, max_rows: int) -> ExportSource:
    """A `HogQLQuery`'s rows, in its own order, without the API's page limit: its own
    `LIMIT` if it has one, at most `max_rows`."""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(
            'A HogQLQuery export needs "query": the SQL text, like "SELECT event FROM events".',
            code="invalid_query",
        )
    try:
        compiled = compile_hogql(
            text,
            team_id=env.team_id,
            timezone=env.timezone,
            materialized=env.store.materialized_columns(),
            pending_overrides=env.store.override_count(env.team_id) > 0,
            max_limit=max_rows,
            default_limit=max_rows,
        )
    except SqlError as exc:
        raise BadRequest(str(exc), code="invalid_sql") from None
    sql = f"SELECT * FROM ({compiled.sql}) LIMIT {max_rows}"
    return ExportSource(sql, compiled.params, compiled.columns, compiled.settings)


def export_source(env: QueryEnv, query: Any, max_rows: int) -> ExportSource:
    """An `EventsQuery` or `HogQLQuery` node (the body of POST /query/'s `query`)."""
    kind = query.get("kind") if isinstance(query, dict) else None
    if kind == "EventsQuery":
        return events_source(env, query, max_rows)
    if kind == "HogQLQuery":
        return sql_source(env, query.get("query"), max_rows)
    raise BadRequest(
        'Export an {"kind": "EventsQuery", ...} (the activity view\'s filters) or a '
        '{"kind": "HogQLQuery", "query": "SELECT ..."}.',
        code="invalid_export",
    )


def counted_source(env: QueryEnv, query: Any, max_rows: int) -> tuple[ExportSource, int]:
    """The source and its row count; a query of more than `max_rows` rows is refused before
    anything is written (the source reads one row past the limit to tell). Raises
    `QueryFailed` when the store cannot count it."""
    source = export_source(env, query, max_rows + 1)
    rows = int(env.store.query(source.count_sql(), source.params).rows[0][0])
    if rows > max_rows:
        raise BadRequest(
            f"The export holds more than {max_rows:,} rows (export_max_rows): narrow the "
            "filters (a shorter time range, an event name) or raise the setting.",
            code="export_too_large",
        )
    return source, rows
