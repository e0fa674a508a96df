"""`HogQLQuery`: read-only SQL over one project's events and persons.

The text is parsed (`parser`), printed back as ClickHouse SQL over project-scoped subqueries
(`printer`), run with read-only settings and time and memory limits, and answered in
PostHog's shape: `columns`, `types` ([name, ClickHouse type] pairs), `results`, `hasMore`,
`limit`, `offset`. A query that cannot run answers 400 with the parser's or ClickHouse's
message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hedgerow.errors import BadRequest
from hedgerow.query.hogql import nodes as n
from hedgerow.query.hogql.parser import parse_query
from hedgerow.query.hogql.printer import Printer
from hedgerow.query.hogql.scope import PropertyTypes, ResolveError
from hedgerow.query.hogql.tables import TableContext
from hedgerow.query.hogql.tokenizer import SqlError
from hedgerow.query.sql import SqlParams
from hedgerow.store.events import EventStore
from hedgerow.store.schema import quote_string

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_EXECUTION_SECONDS = 30
MAX_MEMORY_BYTES = 2 * 1024**3

_EXPENSIVE = ("TIMEOUT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED", "TOO_SLOW", "TOO_MANY_ROWS")


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: dict[str, Any]
    columns: list[str]
    limit: int
    offset: int


def settings_clause(timezone: str) -> str:
    return (
        f"SETTINGS readonly = 1, max_execution_time = {MAX_EXECUTION_SECONDS}, "
        f"max_memory_usage = {MAX_MEMORY_BYTES}, session_timezone = {quote_string(timezone)}"
    )


def compile_hogql(
    text: str,
    *,
    team_id: int,
    timezone: str,
    materialized: dict[str, str],
    pending_overrides: bool,
    property_types: PropertyTypes | None = None,
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
    limit = min(DEFAULT_LIMIT if limit is None else limit, MAX_LIMIT)
    offset = offset or 0
    sql = f"{body} LIMIT {limit + 1} OFFSET {offset} {settings_clause(timezone)}"
    return CompiledQuery(sql, params.values, columns, limit, offset)


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
        result = store.query(compiled.sql, compiled.params)
    except Exception as exc:
        message = str(exc)
        if "DB::Exception" not in message:
            raise
        code = "query_too_expensive" if any(e in message for e in _EXPENSIVE) else "query_failed"
        raise BadRequest(clickhouse_message(message), code=code) from None
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


def clickhouse_message(message: str) -> str:
    """ClickHouse's error without the code prefix or the echo of the printed SQL."""
    found = re.search(r"DB::Exception: (.*)", message, re.DOTALL)
    body = (found.group(1) if found else message).strip()
    body = re.sub(r"[:.]?\s*In scope .*?(?=\. \([A-Z_]+\)$|$)", "", body, flags=re.DOTALL)
    return "ClickHouse could not run the query: " + body


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
