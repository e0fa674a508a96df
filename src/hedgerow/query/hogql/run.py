"""`HogQLQuery`: read-only SQL over one project's events and persons.

The text is parsed (`parser`), printed back as ClickHouse SQL over project-scoped subqueries
(`printer`), run read-only within the query limits, and answered in PostHog's shape:
`columns`, `types` ([name, ClickHouse type] pairs), `results`, `hasMore`, `limit`, `offset`.
A query that cannot run answers 400 with the parser's or ClickHouse's message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hedgerow.errors import BadRequest
from hedgerow.query.errors import sql_refusal
from hedgerow.query.hogql import nodes as n
from hedgerow.query.hogql.parser import parse_query
from hedgerow.query.hogql.printer import Printer
from hedgerow.query.hogql.scope import PropertyTypes, ResolveError
from hedgerow.query.hogql.tables import TableContext
from hedgerow.query.hogql.tokenizer import SqlError
from hedgerow.query.sql import SqlParams
from hedgerow.store.events import EventStore, QueryFailed, SettingValue

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: dict[str, Any]
    columns: list[str]
    limit: int
    offset: int
    settings: Mapping[str, SettingValue]


def query_settings(timezone: str) -> dict[str, SettingValue]:
    """ClickHouse settings of every HogQL query (the store adds the query limits)."""
    return {"readonly": 1, "session_timezone": timezone}


def compile_hogql(
    text: str,
    *,
    team_id: int,
    timezone: str,
    materialized: dict[str, str],
    pending_overrides: bool,
    property_types: PropertyTypes | None = None,
    default_limit: int = DEFAULT_LIMIT,
    max_limit: int = MAX_LIMIT,
) -> CompiledQuery:
    """Parse and print; raises `SqlError` (with line and column) for a query that cannot run."""
    tree = parse_query(text)
    params = SqlParams()
    ctx = TableContext(team_id, timezone, materialized, pending_overrides, params)
    printer = Printer(ctx, property_types)
    try:
        if isinstance(tree, n.Select):
            printed = printer.select(tree, {}, top=True)
            body, limit, offset = printed.sql, tree.limit, tree.offset
            columns = [
                name if name is not None else f"column_{i}" for i, name in enumerate(printed.names)
            ]
        else:
            printed = printer.query(tree, {})
            body = f"SELECT * FROM ({printed.sql})"
            limit, offset = None, None
            columns = [name or f"column_{i}" for i, name in enumerate(printed.names)]
    except ResolveError as exc:
        raise exc.at(text) from None
    limit = min(default_limit if limit is None else limit, max_limit)
    offset = offset or 0
    sql = f"{body} LIMIT {limit + 1} OFFSET {offset}"
    return CompiledQuery(sql, params.values, columns, limit, offset, query_settings(timezone))


def run_hogql_query(
    store: EventStore,
    team_id: int,
    timezone: str,
    query: dict[str, Any],
    property_types: PropertyTypes | None = None,
) -> dict[str, Any]:
    text = query.get("query")
    if not isinstance(text, str):
        raise BadRequest(
            'A HogQLQuery needs "query": the SQL text, like "SELECT event FROM events".',
            code="invalid_query",
        )
    try:
        compiled = compile_hogql(
            text,
            team_id=team_id,
            timezone=timezone,
            materialized=store.materialized_columns(),
            pending_overrides=_reads_person(text) and store.override_count(team_id) > 0,
            property_types=property_types,
        )
    except SqlError as exc:
        raise BadRequest(str(exc), code="invalid_sql") from None
    try:
        result = store.query(compiled.sql, compiled.params, settings=compiled.settings)
    except QueryFailed as exc:
        raise sql_refusal(exc) from None
    convert = [_converter(t) for t in result.types]
    rows = [[c(v) for c, v in zip(convert, row, strict=True)] for row in result.rows]
    return {
        "columns": compiled.columns,
        "types": [[c, t] for c, t in zip(compiled.columns, result.types, strict=False)],
        "results": rows[: compiled.limit],
        "hasMore": len(rows) > compiled.limit,
        "limit": compiled.limit,
        "offset": compiled.offset,
        "query": text,
    }


def _reads_person(text: str) -> bool:
    """Whether the query may read an event's person id (only then is the override join
    worth building); a cheap test on the text that errs on the side of joining."""
    return "person" in text.lower() or "*" in text


def _converter(type_name: str) -> Callable[[Any], Any]:
    found = re.match(r"^(?:Nullable\()?DateTime(?:64)?\((?:\d+, )?'([^']+)'\)", type_name)
    if not found:
        return _identity
    zone = ZoneInfo(found.group(1))

    def to_iso(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        stamp = datetime.fromisoformat(value).replace(tzinfo=zone).isoformat()
        return stamp[:-6] + "Z" if stamp.endswith("+00:00") else stamp

    return to_iso


def _identity(value: Any) -> Any:
    return value
