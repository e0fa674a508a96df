"""What an export reads: the SQL of an `EventsQuery`'s filters or of a `HogQLQuery`, capped at
the export row limit, with the names of its columns."""

from __future__ import annotations

from collections.abc import Mapping
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


@dataclass(frozen=True)
class ExportSource:
    sql: str
    params: dict[str, Any]
    columns: list[str]
    settings: Mapping[str, SettingValue] = field(default_factory=dict)
    events_shape: bool = False  # the fixed event columns (JSON columns hold JSON text)

    def count_sql(self) -> str:
        return f"SELECT count() FROM ({self.sql})"


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
    inner = (
        "SELECT uuid, event, distinct_id, timestamp AS event_time, properties, "
        f"{person_sql} AS effective_person_id, person_properties, elements_chain, created_at "
        f"FROM {EVENTS_TABLE} WHERE {' AND '.join(where)} "
        f"ORDER BY toDate(timestamp), timestamp, uuid LIMIT {max_rows}"
    )
    select = ", ".join(f"{sql} AS {name}" for name, sql in expressions.items())
    sql = f"SELECT {select} FROM ({inner})"
    return ExportSource(
        sql,
        compiler.params.values,
        list(EVENT_COLUMNS),
        {**KEY_ORDER_SETTINGS, "max_bytes_before_external_sort": 32 * 1024**2},
        events_shape=True,
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
