"""`RetentionQuery`: of the persons who did the start event in an interval, how many came back.

Request: `retentionFilter` with `targetEntity` (the start) and `returningEntity`, each
`{"id", "type": "events"|"actions", "properties"}` (an EventsNode/ActionsNode is taken too;
an event id of null is any event), `retentionType` (`retention_first_time` or
`retention_recurring`, the default), `period` (`Hour`, `Day`, `Week`, `Month`),
`totalIntervals` (default 7), `meanRetentionCalculation` (`weighted`, the default,
`simple` or `none`); `properties` and `dateRange` for the whole query; `breakdownFilter`
by an event or person property.

Cohorts are the intervals of the range: the `dateRange` when it has a `date_from`, else the
last `totalIntervals` periods up to `date_to` (default now). A person is in cohort c when:
- recurring: they did the start event in interval c (a person can be in several cohorts);
- first time: their first start event ever (any time, not only the range) is in interval c.
Period 0 is the whole cohort; period p (1 <= p < totalIntervals) counts the cohort's persons
who did the returning event in interval c + p, when that interval is in the range.
Persons are effective persons after merges. With a breakdown, persons are grouped by
(person, value of the property on each event), as PostHog does; the top `breakdown_limit`
values by cohort sizes are kept and the rest summed as "other".
One GROUP BY person over the events, then array functions and one GROUP BY cell.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import Compiler, QueryEnv
from hedgerow.query.retention_results import cohorts_answer
from hedgerow.query.timerange import (
    TimeRange,
    interval_index_sql,
    next_interval,
    resolve_range,
    start_of_interval,
)
from hedgerow.query.trends import parse_breakdown
from hedgerow.query.trends_series import Breakdown, breakdown_sql
from hedgerow.store.schema import EVENTS_TABLE

PERIODS = ("Hour", "Day", "Week", "Month")
RETENTION_TYPES = ("retention_recurring", "retention_first_time")
MEAN_CALCULATIONS = ("weighted", "simple", "none")
DEFAULT_TOTAL_INTERVALS = 7
MAX_TOTAL_INTERVALS = 400


def entity_node(entity: Any, where: str) -> dict[str, Any]:
    """A retention entity (`{"id", "type"}`, or an EventsNode/ActionsNode) as a series node;
    a missing one is any `$pageview`, as in PostHog."""
    if entity is None:
        return {"kind": "EventsNode", "event": "$pageview"}
    if not isinstance(entity, dict):
        raise BadRequest(f"`{where}` must be an object.", code="invalid_query")
    kind = entity.get("kind")
    if kind is None:
        kind = "ActionsNode" if entity.get("type") == "actions" else "EventsNode"
    properties = entity.get("properties")
    if kind == "ActionsNode":
        return {"kind": kind, "id": entity.get("id"), "properties": properties}
    event = entity.get("event", entity.get("id"))
    return {"kind": kind, "event": event, "properties": properties}


def _settings(query: dict[str, Any]) -> dict[str, Any]:
    spec = query.get("retentionFilter") or {}
    if not isinstance(spec, dict):
        raise BadRequest("`retentionFilter` must be an object.", code="invalid_query")
    checks = {
        "period": (spec.get("period") or "Day", PERIODS),
        "retentionType": (spec.get("retentionType") or RETENTION_TYPES[0], RETENTION_TYPES),
        "meanRetentionCalculation": (
            spec.get("meanRetentionCalculation") or MEAN_CALCULATIONS[0],
            MEAN_CALCULATIONS,
        ),
    }
    for field, (value, allowed) in checks.items():
        if value not in allowed:
            raise BadRequest(
                f"Unknown {field} {value!r}; use one of {', '.join(allowed)}.",
                code="invalid_query",
            )
    total = spec.get("totalIntervals") or DEFAULT_TOTAL_INTERVALS
    if not isinstance(total, int) or isinstance(total, bool) or not 1 <= total <= 400:
        raise BadRequest(
            f"`totalIntervals` must be an integer from 1 to {MAX_TOTAL_INTERVALS}.",
            code="invalid_query",
        )
    return {
        "period": checks["period"][0],
        "first_time": checks["retentionType"][0] == "retention_first_time",
        "mean": checks["meanRetentionCalculation"][0],
        "total": total,
        "target": entity_node(spec.get("targetEntity"), "targetEntity"),
        "returning": entity_node(spec.get("returningEntity"), "returningEntity"),
    }


def retention_range(date_range: Any, period: str, total: int, env: QueryEnv) -> TimeRange:
    interval = period.lower()
    resolved = resolve_range(date_range, interval, env.tz)
    if isinstance(date_range, dict) and date_range.get("date_from"):
        return resolved
    last = start_of_interval(resolved.end, interval)
    return TimeRange(next_interval(last, interval, 1 - total), resolved.end, interval, env.tz)


def retention_setup(
    env: QueryEnv, query: dict[str, Any]
) -> tuple[dict[str, Any], Breakdown | None, TimeRange]:
    settings = _settings(query)
    breakdown = parse_breakdown(query.get("breakdownFilter"))
    tr = retention_range(query.get("dateRange"), settings["period"], settings["total"], env)
    return settings, breakdown, tr


def retention_per_person(
    c: Compiler,
    query: dict[str, Any],
    settings: dict[str, Any],
    breakdown: Breakdown | None,
    tr: TimeRange,
) -> str:
    """One row per (person, breakdown value, cohort, period) the person counts in:
    `person` (key), `bv`, `cohort`, `period`. The cells and their actors both read it."""
    env = c.env
    size = len(tr.bucket_starts())
    target = c.entity(settings["target"], "targetEntity")
    # The usual question (the same event starts and returns) reads one condition, once.
    same = settings["target"] == settings["returning"]
    returning = target if same else c.entity(settings["returning"], "returningEntity")
    index = interval_index_sql(tr, c.params, env.timezone, "timestamp")
    in_range = " AND ".join(c.between(tr.utc_start(), tr.utc_end()))
    where = [c.team(), target if same else f"({target} OR {returning})"]
    extra = c.filters(query.get("properties"))
    if extra:
        where.append(extra)
    if settings["first_time"]:
        # The first start event may be before the range: read from the beginning.
        end = c.timestamp(tr.utc_end().astimezone(UTC) + timedelta(microseconds=1))
        where.append(f"timestamp < {end}")
        first = interval_index_sql(tr, c.params, env.timezone, "first_start")
        cohorts = f"if({first} >= 0, [{first}], [])"
        starts = f"minIf(timestamp, {target}) AS first_start"
        returns = f"groupUniqArrayIf({index}, {returning} AND {in_range})"
    else:
        where.append(in_range)
        cohorts = "starts"
        # Every row is in the range here; with one entity every row is a start and a return.
        if same:
            starts, returns = f"groupUniqArray({index}) AS starts", "starts"
        else:
            starts = f"groupUniqArrayIf({index}, {target}) AS starts"
            returns = f"groupUniqArrayIf({index}, {returning})"
    group, bv = "person", "''"
    if breakdown is not None:
        bv = breakdown_sql(c, breakdown)
        group += ", bv"
    per_person = (
        f"SELECT {c.person_key()} AS person, {bv} AS bv, {starts}, {returns} AS returns "
        f"FROM {EVENTS_TABLE} WHERE {' AND '.join(where)} GROUP BY {group}"
    )
    periods = (
        f"arrayConcat([0], arrayFilter(p -> p > 0 AND p < {settings['total']} AND "
        f"cohort + p < {size}, arrayMap(r -> r - cohort, returns)))"
    )
    return (
        f"SELECT person, bv, cohort, arrayJoin({periods}) AS period FROM (SELECT person, bv, "
        f"returns, arrayJoin({cohorts}) AS cohort FROM ({per_person})) "
        f"WHERE cohort >= 0 AND cohort < {size}"
    )


def run_retention_query(env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
    settings, breakdown, tr = retention_setup(env, query)
    c = Compiler(env)
    cells_sql = retention_per_person(c, query, settings, breakdown, tr)
    rows = c.run(
        f"SELECT bv, cohort, period, count() FROM ({cells_sql}) GROUP BY bv, cohort, period"
    ).rows
    cells = [(str(b), int(k), int(p), int(n)) for b, k, p, n in rows]
    return cohorts_answer(env, tr, settings, cells, breakdown)
