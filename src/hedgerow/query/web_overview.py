"""`WebOverviewQuery`: the web analytics tiles (visitors, views, sessions, session duration,
bounce rate) for a date range, each with the previous period's value and the change.

Read from the sessions table (store/sessions_schema.py), not from raw events: a period holds
the sessions that started in it. `visitors` are the distinct persons (after merges) of those
sessions' events, `views` their page views, `session duration` the mean duration in seconds
and `bounce rate` the percentage of bounced sessions among those with a page view
(docs/web-analytics.md). `compareFilter.compare` (default true, as PostHog's tiles) adds the
previous period of the same length.
"""

from __future__ import annotations

from typing import Any

from hedgerow.query.core import Compiler, QueryEnv
from hedgerow.query.hogql.sessions_table import BOUNCE_SECONDS
from hedgerow.query.timerange import TimeRange, resolve_range
from hedgerow.store.schema import EVENTS_TABLE
from hedgerow.store.sessions_schema import SESSIONS_TABLE

# key, kind, whether a rise is bad (PostHog's item fields)
ITEMS = (
    ("visitors", "unit", False),
    ("views", "unit", False),
    ("sessions", "unit", False),
    ("session duration", "duration_s", False),
    ("bounce rate", "percentage", True),
)


def _period(env: QueryEnv, tr: TimeRange) -> list[float | None]:
    c = Compiler(env)
    start, end = c.timestamp(tr.utc_start()), c.timestamp(tr.utc_end())
    sessions = (
        "SELECT session_id, min(min_timestamp) AS start, max(max_timestamp) AS end, "
        "uniqExactMerge(pageview_uniq) AS views, uniqExactMerge(autocapture_uniq) AS clicks "
        f"FROM {SESSIONS_TABLE} WHERE {c.team()} GROUP BY session_id "
        f"HAVING start >= {start} AND start <= {end}"
    )
    duration = "dateDiff('second', start, end)"
    bounce = f"NOT (views > 1 OR clicks > 0 OR {duration} >= {BOUNCE_SECONDS})"
    visitors = (
        f"SELECT uniqExact({c.person_key()}) FROM {EVENTS_TABLE} WHERE {c.team()} "
        f"AND `$session_id` IN (SELECT session_id FROM ({sessions}))"
    )
    row = c.run(
        f"SELECT ({visitors}), sum(views), count(), avg({duration}), "
        f"100 * avgIf({bounce}, views > 0) FROM ({sessions})"
    ).rows[0]
    visitors_n, views_n, sessions_n, mean_duration, bounce_rate = row
    if not sessions_n:
        return [0, 0, 0, None, None]
    return [int(visitors_n), int(views_n), int(sessions_n), mean_duration, bounce_rate]


def _change(value: float | None, previous: float | None) -> int | None:
    if value is None or not previous:
        return None
    return round(100 * (value - previous) / previous)


def run_web_overview_query(env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
    current = resolve_range(query.get("dateRange"), "day", env.tz)
    compare = (query.get("compareFilter") or {}).get("compare", True)
    previous = current.shifted(-len(current.bucket_starts())) if compare else None
    values = _period(env, current)
    before = _period(env, previous) if previous else [None] * len(ITEMS)
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
        "dateFrom": current.as_json()["date_from"],
        "dateTo": current.as_json()["date_to"],
        "timezone": env.timezone,
        "hasMore": False,
        "is_cached": False,
    }
