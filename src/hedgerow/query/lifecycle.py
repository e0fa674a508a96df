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
The intervals each person was active in come from one GROUP BY person over the range's
matching events; their first event ever from the events table's `first_seen` projection
(store/schema.py: one row per person and part, kept by ClickHouse through inserts and
merges), joined by person; then array functions. Reading every event of the project for
the first one cost about 1 s of the query's 1.3-2.2 s on 10M events (docs/benchmarks.md).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import Compiler, QueryEnv, node_list, series_action
from hedgerow.query.timerange import (
    TimeRange,
    interval_index_sql,
    interval_of,
    next_interval,
    resolve_range,
)
from hedgerow.store.schema import EFFECTIVE_PERSON_KEY, EVENTS_TABLE, PERSON_KEY

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
    per_person = (
        f"SELECT person, active, first_seen FROM (SELECT {c.person_key()} AS person, "
        f"groupUniqArray({index}) AS active FROM {EVENTS_TABLE} WHERE {c.team()} AND "
        f"{' AND '.join(active)} GROUP BY person) AS a INNER JOIN ({first_seen_sql(c)}) AS f "
        "USING person"
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
    days = [tr.day(s) for s in starts]
    labels = [tr.label(s) for s in starts]
    results = []
    for order, status in enumerate(STATUSES):
        results.append(
            {
                "action": series_action(node, order, name, "total"),
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


def first_seen_sql(c: Compiler) -> str:
    """Each effective person's first event ever, as `person`, `first_seen`. The inner GROUP
    BY is the `first_seen` projection's shape, so ClickHouse answers it from the projection;
    a merged person's events may still carry the merged-away index (until the rewrite), so
    the indexes are mapped to the effective person afterwards and the earliest kept."""
    stored = (
        f"SELECT person_idx, min(timestamp) AS first_seen FROM {EVENTS_TABLE} "
        f"WHERE {c.team()} GROUP BY person_idx"
    )
    if c.person_key() == PERSON_KEY:
        return f"SELECT person_idx AS person, first_seen FROM ({stored})"
    return (
        f"SELECT {EFFECTIVE_PERSON_KEY} AS person, min(first_seen) AS first_seen "
        f"FROM ({stored}) GROUP BY person"
    )
