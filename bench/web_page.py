"""The whole `/web` page as it loads: every request the browser sends
(frontend/src/screens/web/webQueries.ts: the tiles, visitors over time, the open tab of each
of the four cards, live visitors and the sites), at most three in flight at once as
frontend/src/lib/limiter.ts allows, each through the runner the API calls (in-process, no
HTTP). The page's time is from the first request to the last answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hedgerow.query.core import QueryEnv
from hedgerow.query.hogql.run import run_hogql_query
from hedgerow.query.trends import run_trends_query
from hedgerow.query.web_overview import run_web_overview_query
from hedgerow.query.web_stats_table import run_web_stats_table_query

IN_FLIGHT = 3  # lib/limiter.ts
OPEN_TABS = ("Page", "InitialReferringDomain", "DeviceType", "Country")  # each card's first
NOT_A_BOT = {"type": "event", "key": "$virt_is_bot", "operator": "is_not", "value": "true"}
LIVE_WHERE = (
    "event = '$pageview' AND timestamp >= now() - INTERVAL 5 MINUTE "
    "AND coalesce(toString(properties.$virt_is_bot), '') != 'true'"
)
LIVE = (
    f"SELECT page, count() AS visitors, (SELECT count(DISTINCT person_id) FROM events "
    f"WHERE {LIVE_WHERE}) AS total FROM (SELECT person_id, argMax(properties.$pathname, "
    f"timestamp) AS page FROM events WHERE {LIVE_WHERE} GROUP BY person_id) "
    "GROUP BY page ORDER BY visitors DESC, page LIMIT 10"
)
HOSTS = (
    "SELECT properties.$host AS host, count() AS views FROM events "
    "WHERE event = '$pageview' AND timestamp >= now() - INTERVAL 30 DAY "
    "AND properties.$host IS NOT NULL GROUP BY host ORDER BY views DESC, host LIMIT 50"
)


def page_requests(env: QueryEnv, date_range: dict[str, str]) -> list[Callable[[], Any]]:
    """The page's requests with its default state (compare on, no filter, first tabs)."""
    compare = {"compare": True}
    overview = {"kind": "WebOverviewQuery", "dateRange": date_range, "properties": []}
    chart = {
        "kind": "TrendsQuery",
        "series": [
            {"kind": "EventsNode", "event": "$pageview", "math": "dau", "custom_name": "Visitors"}
        ],
        "interval": "day",
        "dateRange": date_range,
        "properties": [NOT_A_BOT],
        "compareFilter": compare,
        "trendsFilter": {"display": "ActionsLineGraph"},
    }
    requests: list[Callable[[], Any]] = [
        lambda: run_web_overview_query(env, {**overview, "compareFilter": compare}),
        lambda: run_trends_query(env, chart),
    ]
    for breakdown in OPEN_TABS:
        table = {
            "kind": "WebStatsTableQuery",
            "breakdownBy": breakdown,
            "dateRange": date_range,
            "properties": [],
            "compareFilter": compare,
            "includeBounceRate": breakdown in ("Page", "InitialPage"),
            "doPathCleaning": False,
            "limit": 300 if breakdown == "Country" else 10,
        }
        requests.append(lambda q=table: run_web_stats_table_query(env, q))  # type: ignore[misc]
    for text in (LIVE, HOSTS):
        query = {"kind": "HogQLQuery", "query": text}
        requests.append(
            lambda q=query: run_hogql_query(env.store, env.team_id, env.timezone, q, {})  # type: ignore[misc]
        )
    return requests


def page_ms(requests: list[Callable[[], Any]]) -> float:
    """Milliseconds from the first request to the last answer, `IN_FLIGHT` at a time."""
    began = time.perf_counter()
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        for future in [pool.submit(request) for request in requests]:
            future.result()
    return (time.perf_counter() - began) * 1000
