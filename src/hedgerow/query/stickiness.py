"""`StickinessQuery`: how many persons did a series on exactly 1, 2, ... N intervals.

Request fields: `series` (EventsNode/ActionsNode with their `properties` and `custom_name`),
`interval` (hour, day, week, month), `dateRange`, `properties` (for every series). For each
series the answer has `data[k - 1]`: the persons (effective, after merges) whose matching
events in the range fall in exactly k distinct intervals, for k from 1 to the number of
intervals in the range; `days` holds k and `labels` read "1 day", "2 days", ....
Each series reads the events table once: one GROUP BY person counting distinct intervals.
"""

from __future__ import annotations

from typing import Any

from hedgerow.query.core import Compiler, QueryEnv, node_list, series_action
from hedgerow.query.timerange import TimeRange, interval_key_sql, interval_of, resolve_range
from hedgerow.store.schema import EVENTS_TABLE


def run_stickiness_query(env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
    series = node_list(query, "StickinessQuery")
    interval = interval_of(query)
    time_range = resolve_range(query.get("dateRange"), interval, env.tz)
    size = len(time_range.bucket_starts())
    results = []
    for order, node in enumerate(series):
        c = Compiler(env)
        name = c.entity_name(node)
        counts = _counts(c, node, query.get("properties"), time_range)
        data = [counts.get(k, 0) for k in range(1, size + 1)]
        results.append(
            {
                "action": series_action(node, order, name, "dau"),
                "label": node.get("custom_name") or name,
                "count": sum(data),
                "data": data,
                "days": list(range(1, size + 1)),
                "labels": [f"{k} {interval}{'' if k == 1 else 's'}" for k in range(1, size + 1)],
            }
        )
    return {
        "results": results,
        "timezone": env.timezone,
        "resolved_date_range": time_range.as_json(),
        "hasMore": False,
        "is_cached": False,
    }


def _counts(c: Compiler, node: dict[str, Any], filters: Any, tr: TimeRange) -> dict[int, int]:
    per_person = stickiness_per_person(c, node, filters, tr)
    rows = c.run(f"SELECT intervals, count() FROM ({per_person}) GROUP BY intervals").rows
    return {int(k): int(n) for k, n in rows}


def stickiness_per_person(c: Compiler, node: dict[str, Any], filters: Any, tr: TimeRange) -> str:
    """One row per person who did the series: `person` (key), `intervals` (how many distinct
    intervals they did it in), `events` (how many matching events). The bars and their
    actors both read it."""
    where = [c.team(), c.entity(node), *c.between(tr.utc_start(), tr.utc_end())]
    extra = c.filters(filters)
    if extra:
        where.append(extra)
    key = interval_key_sql(tr.interval, c.params, c.env.timezone, "timestamp")
    return (
        f"SELECT {c.person_key()} AS person, uniqExact({key}) AS intervals, "
        f"count() AS events FROM {EVENTS_TABLE} WHERE {' AND '.join(where)} GROUP BY person"
    )
