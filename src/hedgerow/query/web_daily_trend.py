"""Visitors over time, the `/web` chart, from the web analytics pre-aggregate.

The chart asks a `TrendsQuery`: the unique persons (`dau`) of `$pageview` events per day,
week or month, bots left out (`$virt_is_bot` is not `true`), perhaps on one site (`$host`
exact). The pre-aggregate keeps per day and host the persons of every page view that is not
a bot's, with a session or without (`pageviews` rows, `web_daily_rows.py`), as bitmaps of
their person index; the persons of an interval are the union of its days' bitmaps, counted
after merges through the override map, as the raw statement's `uniqExact` counts them. So
such a series over whole days is answered from the listed days (a provisional day while its
fingerprint holds) and the other days made from the raw events, read like the web queries'
(`web_daily_read.from_days`, checked against take-outs). Anything else (hours, another
math, event or filter, a breakdown) is the trends runner's raw statement.
"""

from __future__ import annotations

from typing import Any

from hedgerow.query.core import Compiler, QueryEnv
from hedgerow.query.timerange import TimeRange, bucket_of_unit_sql
from hedgerow.query.web_daily_read import DailyPlan, from_days, visitors_sql
from hedgerow.query.web_daily_rows import PAGEVIEWS
from hedgerow.query.web_filters import BOT_PROPERTY, WebFilters
from hedgerow.query.web_scope import WebScope

NODE_KEYS = {"kind", "event", "math", "custom_name", "name"}


def _not_a_bot(spec: Any) -> bool:
    """The chart's filter that leaves bots out (as the web queries do)."""
    return (
        isinstance(spec, dict)
        and set(spec) <= {"type", "key", "operator", "value"}
        and spec.get("type", "event") == "event"
        and spec.get("key") == BOT_PROPERTY
        and spec.get("operator") == "is_not"
        and spec.get("value") in ("true", ["true"])
    )


def _is_host(spec: Any) -> bool:
    return (
        isinstance(spec, dict)
        and spec.get("type", "event") == "event"
        and spec.get("key") == "$host"
        and spec.get("operator", "exact") == "exact"
    )


def _filters(filters: Any) -> WebFilters | None:
    """The chart's filters as the web queries' (the host alone), or None when they are
    not the bot filter and at most one host filter."""
    if not isinstance(filters, list) or not any(_not_a_bot(f) for f in filters):
        return None
    rest = [f for f in filters if not _not_a_bot(f)]
    if len(rest) > 1 or not all(_is_host(f) for f in rest):
        return None
    return WebFilters(events=rest)


def _is_visitors(node: dict[str, Any]) -> bool:
    return (
        set(node) <= NODE_KEYS
        and node.get("kind", "EventsNode") == "EventsNode"
        and node.get("event") == "$pageview"
        and node.get("math") == "dau"
    )


def daily_visitors(
    env: QueryEnv, node: dict[str, Any], filters: Any, tr: TimeRange
) -> list[list[Any]] | None:
    """(bucket key, '', unique persons) for each interval of `tr` with page views, from the
    pre-aggregate; None when the series is not the chart's or the range not whole days."""
    web_filters = _filters(filters)
    if web_filters is None or not _is_visitors(node) or tr.interval == "hour":
        return None
    days = TimeRange(tr.start, tr.end, "day", tr.tz)
    scope = WebScope(Compiler(env), days, None, web_filters, include_bots=False)
    bucket = bucket_of_unit_sql(tr.interval, "day")

    def answer(plan: DailyPlan) -> list[list[Any]]:
        c = plan.scope.compiler
        sql = (
            f"SELECT {bucket} AS bucket, '' AS bv, {visitors_sql(c)} AS value "
            f"FROM ({plan.rows([PAGEVIEWS])}) WHERE {plan.kept()} GROUP BY bucket"
        )
        return [list(row) for row in c.run(sql).rows]

    return from_days(scope, answer)
