"""The `properties` of the web analytics queries, split by what they are conditions on.

A web query's `properties` is a list of filters, all of which must hold. As PostHog's web
queries do, a filter of `type` `event` or `person` is a condition on each page view (only
the page views that match it count), and a `session` filter is a condition on the session
the page view belongs to, read from the sessions table (keys: its columns, docs/sql.md).
`split_filters` sorts a list into the three kinds the queries need: event and person
filters, event filters on `$pathname` (kept apart: the Page table's bounce rate ignores
them, as PostHog's does), and session filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import check_regexes, guarded_query
from hedgerow.query.filters import OPERATORS, PropertyReader, compile_property_filter
from hedgerow.query.hogql.sessions_table import SESSION_COLUMNS
from hedgerow.query.sql import SqlParams
from hedgerow.store.events import EventStore
from hedgerow.store.schema import quote_identifier

SESSION_FILTER_KEYS = tuple(c for c in SESSION_COLUMNS if c not in ("session_id", "distinct_id"))
BOT_PROPERTY = "$virt_is_bot"
WEB_FILTER_TYPES = ("event", "person", "session")
# PostHog's operator for a row of a cleaned table: the value as cleaned equals the given one
# (cleaned too), with the project's path cleaning rules.
CLEANED_PATH_EXACT = "is_cleaned_path_exact"
WEB_OPERATORS = (*OPERATORS, CLEANED_PATH_EXACT)


@dataclass
class WebFilters:
    events: list[Any] = field(default_factory=list)  # event and person filters (and groups)
    paths: list[Any] = field(default_factory=list)  # event filters on `$pathname`
    sessions: list[Any] = field(default_factory=list)  # session filters


def _has_session_filter(spec: Any) -> bool:
    if isinstance(spec, dict) and spec.get("type") in ("AND", "OR") and "values" in spec:
        return any(_has_session_filter(v) for v in spec.get("values") or [])
    return isinstance(spec, dict) and spec.get("type") == "session"


def split_filters(spec: Any) -> WebFilters:
    if isinstance(spec, dict) and spec.get("type") == "AND" and "values" in spec:
        spec = spec["values"]
    if spec in (None, []):
        return WebFilters()
    if not isinstance(spec, list):
        spec = [spec]
    found = WebFilters()
    for item in spec:
        if isinstance(item, dict) and item.get("type") == "session":
            found.sessions.append(item)
        elif _has_session_filter(item):
            raise BadRequest(
                "Session filters go in the top-level `properties` list, not in a group.",
                code="invalid_filter",
            )
        elif (
            isinstance(item, dict)
            and item.get("type", "event") == "event"
            and (item.get("key") == "$pathname")
        ):
            found.paths.append(item)
        else:
            found.events.append(item)
    return found


class SessionColumnReader(PropertyReader):
    """Reads `session` filters' keys as columns of the sessions subquery (text form: '' for
    NULL, numbers and booleans as ClickHouse writes them)."""

    def __init__(self, reader: PropertyReader) -> None:
        super().__init__(reader.params, {}, action=None)
        self.regexes = reader.regexes  # checked with the statement's own

    def _session_column(self, source: str, key: str) -> str:
        if source != "session":
            raise BadRequest(
                "Only session filters are read from the sessions table.", code="invalid_filter"
            )
        if key not in SESSION_FILTER_KEYS:
            raise BadRequest(
                f"Unknown session property {key!r}; use one of {', '.join(SESSION_FILTER_KEYS)}.",
                code="invalid_filter",
            )
        return quote_identifier(key)

    def text(self, source: str, key: str) -> str:
        return f"ifNull(toString({self._session_column(source, key)}), '')"

    def is_set(self, source: str, key: str) -> str:
        return f"({self.text(source, key)} != '')"

    def raw(self, source: str, key: str) -> str:
        return self.text(source, key)


def _compile(spec: Any, reader: PropertyReader, rules: tuple[tuple[str, str], ...]) -> str:
    if not (isinstance(spec, dict) and spec.get("operator") == CLEANED_PATH_EXACT):
        return compile_property_filter(spec, reader)
    key = spec.get("key")
    if not isinstance(key, str) or not key:
        raise BadRequest("A property filter needs a `key` string.", code="invalid_filter")
    value = spec.get("value")
    values: list[Any] = value if isinstance(value, list) else [value]
    paths = [v for v in values if isinstance(v, str)]
    if not paths or len(paths) != len(values):
        raise BadRequest(f"`{CLEANED_PATH_EXACT}` takes a path (text).", code="invalid_filter")
    cleaned = cleaned_path_sql(reader.text(spec.get("type", "event"), key), rules, reader)
    given = [cleaned_path_sql(reader.params.string(v), rules, reader) for v in paths]
    return "(" + " OR ".join(f"{cleaned} = {v}" for v in given) + ")"


def session_filters_sql(
    filters: list[Any], reader: PropertyReader, rules: tuple[tuple[str, str], ...] = ()
) -> str | None:
    """The condition of the session filters over the sessions subquery's columns."""
    if not filters:
        return None
    session_reader = SessionColumnReader(reader)
    return "(" + " AND ".join(_compile(f, session_reader, rules) for f in filters) + ")"


def event_filters_sql(
    filters: list[Any], reader: PropertyReader, rules: tuple[tuple[str, str], ...] = ()
) -> str | None:
    """The condition of event and person filters (and groups of them) on each event."""
    if not filters:
        return None
    return "(" + " AND ".join(_compile(f, reader, rules) for f in filters) + ")"


def not_bot_sql(reader: PropertyReader, materialized: Mapping[str, str]) -> str:
    """Events that are not flagged as a bot's (`$virt_is_bot` true, set at ingestion). A
    substring test skips the JSON read for the many events that have no flag at all."""
    flag = reader.text("event", BOT_PROPERTY)
    if BOT_PROPERTY in materialized:
        return f"({flag} != 'true')"
    return f"(position(properties, 'virt_is_bot') = 0 OR {flag} != 'true')"


def cleaned_path_sql(expr: str, rules: tuple[tuple[str, str], ...], reader: PropertyReader) -> str:
    """A path with the project's path cleaning rules applied in order: every match of a rule's
    regex (RE2) is replaced by its alias (`\\1` in an alias is the regex's first group)."""
    for pattern, alias in rules:
        expr = f"replaceRegexpAll({expr}, {reader.regex(pattern)}, {reader.params.string(alias)})"
    return expr


def check_path_cleaning(store: EventStore, rules: list[tuple[str, str]]) -> None:
    """A 400 `invalid_regex` for the first rule ClickHouse cannot apply (a regex RE2 cannot
    compile, or an alias that is not a valid replacement)."""
    check_regexes(store, [regex for regex, _ in rules])
    for regex, alias in rules:
        params = SqlParams()
        sql = f"SELECT replaceRegexpAll('x', {params.string(regex)}, {params.string(alias)})"
        try:
            guarded_query(store, sql, params.values)
        except RuntimeError as exc:
            detail = str(exc).split("error: ", 1)[-1].split(". Look at", 1)[0][:300]
            raise BadRequest(
                f"The path cleaning rule {regex!r} -> {alias!r} cannot be applied ({detail}).",
                code="invalid_regex",
            ) from None
