"""`LifecycleQuery`: per interval, the persons who are new, returning, resurrecting or dormant.

Request fields: `series` (one EventsNode/ActionsNode with its `properties`), `interval`,
`dateRange`, `properties` (global filters). A person is *active* in an interval when they
did the series (matching every filter) in it. For each interval of the range:

- `new`: active, and the person's first event ever (any event, any time) is in this
  interval. PostHog compares with the person's `created_at`; a Hedgerow person is created
  by their first event, so its first event is that moment, and it stays right after a
  merge (the earliest event of both).
- `returning`: active now and active in the previous interval.
- `resurrecting`: active now, not in the previous interval, and not new (seen before).
- `dormant`: active in the previous interval, not now; counted negative.

The interval before the range is read too, so the first interval's statuses are right.
One GROUP BY person over the events (their first event, and the intervals they were
active in), then array functions; no self-join.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import Compiler, QueryEnv, node_list
from hedgerow.query.timerange import (
    TimeRange,
    interval_index_sql,
    interval_of,
    next_interval,
    resolve_range,
)
from hedgerow.store.schema import EVENTS_TABLE

STATUSES = ("new", "returning", "resurrecting", "dormant")


def lifecycle_setup(env: QueryEnv, query: dict[str, Any]) -> tuple[dict[str, Any], TimeRange]:
    series = node_list(query, "LifecycleQuery")
    if len(series) != 1:
        raise BadRequest("A LifecycleQuery takes exactly one series.", code="invalid_query")
    return series[0], resolve_range(query.get("dateRange"), interval_of(query), env.tz)


def lifecycle_per_person(
    c: Compiler, query: dict[str, Any], node: dict[str, Any], tr: TimeRange
) -> str:
    """One row per (person, interval of the range where they have a status): `person` (key)
    and `pair` (interval index, status number: 1 new ... 4 dormant). The buckets and their
    actors both read it."""
    size = len(tr.bucket_starts())
    interval, env = tr.interval, c.env
    before = next_interval(tr.start, interval, -1).astimezone(UTC)
    active = [c.entity(node), *c.between(before, tr.utc_end())]
    extra = c.filters(query.get("properties"))
    if extra:
        active.append(extra)
    index = interval_index_sql(tr, c.params, env.timezone, "timestamp")
    first = interval_index_sql(tr, c.params, env.timezone, "first_seen")
    end = c.timestamp(tr.utc_end() + timedelta(microseconds=1))
    per_person = (
        f"SELECT {c.person_key()} AS person, groupUniqArrayIf({index}, {' AND '.join(active)}) "
        f"AS active, min(timestamp) AS first_seen FROM {EVENTS_TABLE} "
        f"WHERE {c.team()} AND timestamp < {end} GROUP BY person HAVING notEmpty(active)"
    )
    statuses = (
        f"arrayConcat(arrayMap(k -> (k, if(k = {first}, 1, if(has(active, k - 1), 2, 3))), "
        f"arrayFilter(k -> k >= 0 AND k < {size}, active)), "
        f"arrayMap(k -> (k + 1, 4), arrayFilter(k -> k + 1 < {size} AND NOT has(active, k + 1), "
        "active)))"
    )
    return f"SELECT person, arrayJoin({statuses}) AS pair FROM ({per_person})"


def run_lifecycle_query(env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
    node, tr = lifecycle_setup(env, query)
    starts = tr.bucket_starts()
    size = len(starts)
    c = Compiler(env)
    name = c.entity_name(node)
    per_person = lifecycle_per_person(c, query, node, tr)
    rows = c.run(
        f"SELECT pair.1 AS k, pair.2 AS status, count() FROM ({per_person}) GROUP BY k, status"
    ).rows
    data = {status: [0] * size for status in STATUSES}
    for k, status, count in rows:
        label = STATUSES[int(status) - 1]
        data[label][int(k)] = -int(count) if label == "dormant" else int(count)
    actions = node.get("kind") == "ActionsNode"
    days = [tr.day(s) for s in starts]
    labels = [tr.label(s) for s in starts]
    results = []
    for order, status in enumerate(STATUSES):
        results.append(
            {
                "action": {
                    "id": node.get("id") if actions else node.get("event"),
                    "type": "actions" if actions else "events",
                    "order": order,
                    "name": name,
                    "custom_name": node.get("custom_name"),
                    "math": "total",
                    "properties": node.get("properties") or [],
                },
                "label": f"{node.get('custom_name') or name} - {status}",
                "status": status,
                "count": sum(data[status]),
                "data": data[status],
                "days": days,
                "labels": labels,
            }
        )
    return {
        "results": results,
        "timezone": env.timezone,
        "resolved_date_range": tr.as_json(),
        "hasMore": False,
        "is_cached": False,
    }
