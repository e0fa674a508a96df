"""`WebStatsTableQuery`: the web analytics tables, visitors and views by one breakdown.

`breakdownBy` names what a row is (`BREAKDOWNS`): a property of each page view (Page,
device, browser, OS, country, region, city) or of its session, from the sessions table
(entry and exit page, referring domain, channel, UTM values). Counting is web_scope.py's:
a row's `views` are the page views that count with that value, its `visitors` their
distinct persons, each in the period its session started in. With `includeBounceRate`,
Page and InitialPage rows have the bounce rate of the sessions that **entered** on that
path (for Page, of the sessions with a page view that matches the filters other than
`$pathname` ones, as PostHog's). `doPathCleaning` rewrites paths with the project's
`path_cleaning_filters` first. Rows: visitors, then views, descending, then the value; an
empty value is `null`, shown only for the UTM breakdowns (as PostHog's tables). Whole days
without filters (but a host) are answered from the pre-aggregate (web_daily_read.py).
"""

from __future__ import annotations

from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import QueryEnv
from hedgerow.query.web_daily_answers import table_sql
from hedgerow.query.web_daily_read import DailyPlan, from_days
from hedgerow.query.web_filters import cleaned_path_sql
from hedgerow.query.web_scope import BREAKDOWNS, WebScope

PATH_BREAKDOWNS = ("Page", "InitialPage", "ExitPage")
BOUNCE_BREAKDOWNS = ("Page", "InitialPage")
NULL_SHOWN = ("InitialUTMSource", "InitialUTMMedium", "InitialUTMCampaign")
DEFAULT_LIMIT, MAX_LIMIT = 10, 1000
COLUMNS = ["breakdown_value", "visitors", "views"]


def _breakdown(query: dict[str, Any]) -> str:
    found = query.get("breakdownBy")
    if found not in BREAKDOWNS:
        raise BadRequest(
            f"Unknown breakdownBy {found!r}; use one of {', '.join(BREAKDOWNS)}.",
            code="invalid_breakdown",
        )
    return str(found)


def _limit(query: dict[str, Any]) -> int:
    limit = query.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"`limit` must be from 1 to {MAX_LIMIT}.", code="invalid_query")
    return limit


def _statement(scope: WebScope, breakdown: str, bounce: bool, cleaning: bool) -> str:
    c = scope.compiler
    source, key = BREAKDOWNS[breakdown]
    rules = c.env.path_cleaning if cleaning and breakdown in PATH_BREAKDOWNS else ()
    person = c.person_key()
    # Page's bounce rate ignores `$pathname` filters: they only pick the views counted.
    split_paths = bounce and breakdown == "Page" and bool(scope.filters.paths)
    match = scope.path_match_sql() if split_paths else "1"
    views = ["count() AS views", f"groupUniqArray({person}) AS persons"]
    if split_paths:
        views = [f"countIf({match}) AS views", f"groupUniqArrayIf({person}, {match}) AS persons"]
    session_columns = []
    if source == "event":
        value = cleaned_path_sql(f"nullIf({c.reader.text('event', key)}, '')", rules, c.reader)
        events = scope.events_sql(views, [f"{value} AS value"], with_paths=not split_paths)
    else:
        value = cleaned_path_sql(f"nullIf(toString(`{key}`), '')", rules, c.reader)
        session_columns.append(f"{value} AS value")
        events = scope.events_sql(views, [])
    if bounce:
        entry = cleaned_path_sql("nullIf(`$entry_pathname`, '')", rules, c.reader)
        session_columns += [f"{entry} AS entry", "ifNull(toUInt8(`$is_bounce`), 0) AS bounce"]
    joined = scope.joined_sql(events, scope.sessions_sql(session_columns))
    pairs = "[(value, 1), (entry, 0)]" if bounce and breakdown == "Page" else "[(value, 1)]"
    measures = []
    for n, period in enumerate(("in_current", "NOT in_current")):
        counted = f"{period} AND counted = 1"
        measures += [
            f"uniqExactArrayIf(persons, {counted}) AS visitors{n}",
            f"sumIf(views, {counted}) AS views{n}",
        ]
        if bounce:
            entered = f"{period} AND counted = {0 if breakdown == 'Page' else 1}"
            sessions = f"uniqExactIf(sid, {entered})"
            bounced = f"uniqExactIf(sid, {entered} AND bounce = 1)"
            measures.append(f"if({sessions} = 0, NULL, {bounced} / {sessions}) AS bounce{n}")
    keep = "" if breakdown in NULL_SHOWN else "WHERE key IS NOT NULL "
    rows = (
        f"SELECT tupleElement(pair, 1) AS key, tupleElement(pair, 2) AS counted, * "
        f"FROM ({joined}) ARRAY JOIN {pairs} AS pair"
    )
    return (
        f"SELECT key, {', '.join(measures)} FROM ({rows}) {keep}"
        "GROUP BY key HAVING views0 + views1 > 0 "
        "ORDER BY visitors0 DESC, views0 DESC, key ASC"
    )


def run_web_stats_table_query(env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
    breakdown = _breakdown(query)
    limit = _limit(query)
    bounce = bool(query.get("includeBounceRate")) and breakdown in BOUNCE_BREAKDOWNS
    scope = WebScope.of(env, query, compare_default=False)
    cleaning = bool(query.get("doPathCleaning"))
    rules = env.path_cleaning if cleaning and breakdown in PATH_BREAKDOWNS else ()

    def from_plan(plan: DailyPlan) -> list[Any]:
        sql = table_sql(plan, breakdown, bounce, rules, breakdown in NULL_SHOWN)
        return list(scope.compiler.run(f"{sql} LIMIT {limit + 1}").rows)

    aggregated = from_days(scope, from_plan)
    found = aggregated
    if found is None:
        sql = _statement(scope, breakdown, bounce, cleaning)
        found = list(scope.compiler.run(f"{sql} LIMIT {limit + 1}").rows)
    compare = scope.previous is not None
    width = 3 if bounce else 2
    results = []
    for row in found[:limit]:
        current, previous = row[1 : 1 + width], row[1 + width :]
        pairs = zip(current, previous, strict=True)
        cells = [[now, before if compare else None] for now, before in pairs]
        results.append([row[0], *cells])
    columns = [*COLUMNS, *(["bounce_rate"] if bounce else [])]
    return {
        "columns": [f"context.columns.{name}" for name in columns],
        "results": results,
        "hasMore": len(found) > limit,
        "limit": limit,
        **scope.range_json(),
        "timezone": env.timezone,
        "usedPreAggregatedTables": aggregated is not None,
        "is_cached": False,
    }
