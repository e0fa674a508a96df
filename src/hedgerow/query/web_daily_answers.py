"""The tiles and the tables from the pre-aggregate's rows (`web_daily_read.DailyPlan`), the
same numbers as the raw path's statements in web_overview.py and web_stats_table.py."""

from __future__ import annotations

from typing import Any

from hedgerow.query.web_daily_read import DailyPlan, visitors_sql
from hedgerow.query.web_daily_rows import ENTRY, OVERVIEW
from hedgerow.query.web_filters import cleaned_path_sql


def overview_values(plan: DailyPlan) -> dict[bool, list[Any]]:
    """in current period -> [visitors, views, sessions, summed duration, bounces]."""
    c = plan.scope.compiler
    sql = (
        f"SELECT {plan.in_current()} AS in_current, kind, {visitors_sql(c)}, sum(views), "
        f"sum(sessions), sum(bounces), sum(duration) "
        f"FROM ({plan.rows([OVERVIEW, ENTRY])}) WHERE {plan.kept()} GROUP BY in_current, kind"
    )
    found: dict[bool, list[Any]] = {True: [0, 0, 0, 0, 0], False: [0, 0, 0, 0, 0]}
    for current, kind, visitors, views, sessions, bounces, duration in c.run(sql).rows:
        values = found[bool(current)]
        if kind == ENTRY:
            values[2:] = [int(sessions), int(duration), int(bounces)]
        else:
            values[:2] = [int(visitors), int(views)]
    return found


def overview_items(values: list[Any]) -> list[float | None]:
    """The five tiles, as web_overview.py shapes the raw path's."""
    visitors, views, sessions, duration, bounces = values
    if not sessions:
        return [0, 0, 0, None, None]
    return [visitors, views, sessions, duration / sessions, 100 * (bounces / sessions)]


def table_sql(
    plan: DailyPlan,
    breakdown: str,
    bounce: bool,
    rules: tuple[tuple[str, str], ...],
    null_shown: bool,
) -> str:
    """The statement of web_stats_table.py's rows: key, then per period visitors, views and
    (with `bounce`) the bounce rate of the sessions that entered on the key."""
    c = plan.scope.compiler
    kinds = [breakdown, *([ENTRY] if bounce else [])]
    key = cleaned_path_sql("nullIf(value, '')", rules, c.reader)
    inner = (
        f"SELECT {plan.in_current()} AS in_current, kind, {key} AS key, "
        f"{visitors_sql(c)} AS n_visitors, sum(views) AS n_views, "
        f"sum(sessions) AS n_sessions, sum(bounces) AS n_bounces "
        f"FROM ({plan.rows(kinds)}) WHERE {plan.kept()} "
        "GROUP BY in_current, kind, key"
    )
    kind = c.params.string(breakdown)
    measures = []
    for n, period in enumerate(("in_current", "NOT in_current")):
        mine = f"{period} AND kind = {kind}"
        measures += [
            f"sumIf(n_visitors, {mine}) AS visitors{n}",
            f"sumIf(n_views, {mine}) AS views{n}",
        ]
        if bounce:
            entered = f"{period} AND kind = '{ENTRY}'"
            sessions = f"sumIf(n_sessions, {entered})"
            measures.append(
                f"if({sessions} = 0, NULL, sumIf(n_bounces, {entered}) / {sessions}) AS bounce{n}"
            )
    keep = "" if null_shown else "WHERE key IS NOT NULL "
    return (
        f"SELECT key, {', '.join(measures)} FROM ({inner}) {keep}"
        "GROUP BY key HAVING views0 + views1 > 0 "
        "ORDER BY visitors0 DESC, views0 DESC, key ASC"
    )
