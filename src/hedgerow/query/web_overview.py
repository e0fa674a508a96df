"""`WebOverviewQuery`: the web analytics tiles (visitors, views, sessions, session duration,
bounce rate) for a date range, each with the previous period's value and the change.

What counts is web_scope.py's: the page views that match the filters, each in the period
its session started in. `visitors` are their distinct persons, `views` their number,
`sessions` the sessions they belong to, `session duration` those sessions' mean duration in
seconds and `bounce rate` the percentage of them that bounced (duration and bounce are the
whole session's, from the sessions table; docs/web-analytics.md). `compareFilter.compare`
(default true, as PostHog's tiles) adds the previous period of the same length. Whole days
without filters (but a host) are answered from the pre-aggregate (web_daily_read.py).
"""

from __future__ import annotations

from typing import Any

from hedgerow.query.core import QueryEnv
from hedgerow.query.web_daily_answers import overview_items, overview_values
from hedgerow.query.web_daily_read import from_days
from hedgerow.query.web_scope import WebScope

# key, kind, whether a rise is bad (PostHog's item fields)
ITEMS = (
    ("visitors", "unit", False),
    ("views", "unit", False),
    ("sessions", "unit", False),
    ("session duration", "duration_s", False),
    ("bounce rate", "percentage", True),
)


def _measures(condition: str) -> list[str]:
    return [
        f"uniqExactArrayIf(persons, {condition})",
        f"sumIf(views, {condition})",
        f"countIf({condition})",
        f"avgIf(duration, {condition})",
        f"100 * avgIf(if(bounce, 1, 0), {condition})",
    ]


def _values(row: list[Any]) -> list[float | None]:
    visitors, views, sessions, duration, bounce = row
    if not sessions:
        return [0, 0, 0, None, None]
    return [int(visitors), int(views), int(sessions), duration, bounce]


def _periods(scope: WebScope) -> tuple[list[float | None], list[float | None]]:
    c = scope.compiler
    events = scope.events_sql(
        ["count() AS views", f"groupUniqArray({c.person_key()}) AS persons"], []
    )
    sessions = scope.sessions_sql(["`$session_duration` AS duration", "`$is_bounce` AS bounce"])
    measures = _measures("in_current") + _measures("NOT in_current")
    row = c.run(f"SELECT {', '.join(measures)} FROM ({scope.joined_sql(events, sessions)})")
    values = list(row.rows[0])
    previous: list[float | None] = [None] * len(ITEMS)
    if scope.previous:
        previous = _values(values[5:])
    return _values(values[:5]), previous


def _change(value: float | None, previous: float | None) -> int | None:
    if value is None or not previous:
        return None
    return round(100 * (value - previous) / previous)


def run_web_overview_query(env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
    scope = WebScope.of(env, query, compare_default=True)
    found = from_days(scope, overview_values)
    if found is None:
        values, before = _periods(scope)
    else:
        values = overview_items(found[True])
        before = overview_items(found[False]) if scope.previous else [None] * len(ITEMS)
    results = [
        {
            "key": key,
            "kind": kind,
            "value": value,
            "previous": prior,
            "changeFromPreviousPct": _change(value, prior),
            "isIncreaseBad": bad,
        }
        for (key, kind, bad), value, prior in zip(ITEMS, values, before, strict=True)
    ]
    return {
        "results": results,
        **scope.range_json(),
        "timezone": env.timezone,
        "hasMore": False,
        "usedPreAggregatedTables": found is not None,
        "is_cached": False,
    }
