"""The persons behind one data point of an insight (the `source` of an `ActorsQuery`).

Each kind exposes its per-person step (the SQL its aggregate counts), and the actors are the
rows of that step at the point, so a point's number and its persons come from the same SQL:

- `InsightActorsQuery` over a `TrendsQuery`: `series` (index, default 0), `day` (an entry of
  the result's `days`; none for a display of one value per series, such as
  `ActionsBarValue` or `ActionsPie`: the whole range), `breakdown` (the point's
  `breakdown_value`), `compare` (`current`/`previous`): the persons with a matching event
  in that interval and group, with `event_count` their matching events there. Formulas and
  the weekly/monthly active maths have no persons.
- over a `LifecycleQuery`: `day` and `status` (new, returning, resurrecting, dormant).
- over a `StickinessQuery`: `series` and `day` (the number of intervals, 1 to N), with
  `event_count` their matching events in the range.
- over a `RetentionQuery`: `interval` (the cohort row, 0 first), `period` (Hedgerow's
  addition, default 0: the whole cohort) and `breakdown`.
- `FunnelsActorsQuery` over a `FunnelsQuery`: `funnelStep` k > 0 gives the persons who
  reached step k (1 first), -k those who reached step k-1 but not k; `funnelStepBreakdown`
  the breakdown group.
"""

from __future__ import annotations

from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import Compiler, QueryEnv, node_list, person_key_source, person_source
from hedgerow.query.funnels import funnel_chains, funnel_groups
from hedgerow.query.lifecycle import STATUSES, lifecycle_per_person, lifecycle_setup
from hedgerow.query.retention import retention_per_person, retention_setup
from hedgerow.query.stickiness import stickiness_per_person
from hedgerow.query.timerange import TimeRange, interval_of, resolve_range
from hedgerow.query.trends import AGGREGATE_DISPLAYS, parse_breakdown, trends_ranges
from hedgerow.query.trends_series import series_actors
from hedgerow.store.schema import EVENTS_TABLE

INSIGHT_KINDS = ("TrendsQuery", "LifecycleQuery", "StickinessQuery", "RetentionQuery")


def _bad(message: str) -> BadRequest:
    return BadRequest(message, code="invalid_query")


def _int(source: dict[str, Any], field: str, default: int | None = None) -> int:
    value = source.get(field, default)
    if value is None:
        value = default
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(f"The actors of this insight need `{field}`: an integer.")
    return value


def _day_index(tr: TimeRange, day: Any) -> int:
    """The index of the interval whose `days` entry is `day`."""
    days = [tr.day(s) for s in tr.bucket_starts()]
    if isinstance(day, str):
        for index, text in enumerate(days):
            if text == day or text.startswith(day + " ") or day.startswith(text + "T"):
                return index
    raise _bad(f"`day` must be one of the insight's days, from {days[0]} to {days[-1]}.")


def _series(source: dict[str, Any], insight: dict[str, Any], what: str) -> dict[str, Any]:
    series = node_list(insight, what)
    index = _int(source, "series", 0)
    if not 0 <= index < len(series):
        raise _bad(f"`series` must be from 0 to {len(series) - 1}.")
    return series[index]


def _trends(env: QueryEnv, source: dict[str, Any], insight: dict[str, Any]) -> tuple[Compiler, str]:
    if (insight.get("trendsFilter") or {}).get("formula") or (
        insight.get("trendsFilter") or {}
    ).get("formulas"):
        raise _bad("A formula's points have no persons of their own; ask for a series.")
    node = _series(source, insight, "TrendsQuery")
    current, previous = trends_ranges(env, insight)
    tr = current
    if source.get("compare") == "previous":
        if previous is None:
            raise _bad("`compare` is 'previous' but the insight compares to nothing.")
        tr = previous
    whole = (insight.get("trendsFilter") or {}).get("display") in AGGREGATE_DISPLAYS
    key = None  # the whole range, for a display of one value per series
    if source.get("day") is not None or not whole:
        key = tr.key(tr.bucket_starts()[_day_index(tr, source.get("day"))])
    breakdown = parse_breakdown(insight.get("breakdownFilter"))
    value = source.get("breakdown")
    if breakdown is not None and value is None:
        raise _bad("This insight is broken down: give the point's `breakdown` value.")
    filters = insight.get("properties")
    text = None if value is None else str(value)
    return series_actors(env, node, filters, tr, breakdown, key, text)


def insight_actors(env: QueryEnv, source: Any) -> tuple[Compiler, str, bool]:
    """The SQL of the persons at the point: columns `person` (key) and `events`, and whether
    `events` means something for this kind."""
    if not isinstance(source, dict):
        raise _bad("An ActorsQuery needs `source`: an InsightActorsQuery or FunnelsActorsQuery.")
    kind = source.get("kind")
    insight = source.get("source")
    if not isinstance(insight, dict):
        raise _bad(f"A {kind} needs `source`: the insight query whose point it is.")
    if kind == "FunnelsActorsQuery":
        return (*_funnel(env, source, insight), False)
    if kind != "InsightActorsQuery":
        raise _bad("`source` is an InsightActorsQuery or a FunnelsActorsQuery.")
    inner = insight.get("kind")
    if inner == "TrendsQuery":
        return (*_trends(env, source, insight), True)
    c = Compiler(env)
    if inner == "LifecycleQuery":
        node, tr = lifecycle_setup(env, insight)
        status = source.get("status")
        if status not in STATUSES:
            raise _bad(f"`status` must be one of {', '.join(STATUSES)}.")
        k = _day_index(tr, source.get("day"))
        per_person = lifecycle_per_person(c, insight, node, tr)
        point = f"({c.params.integer(k)}, {STATUSES.index(status) + 1})"
        return c, f"SELECT person, 0 AS events FROM ({per_person}) WHERE pair = {point}", False
    if inner == "StickinessQuery":
        node = _series(source, insight, "StickinessQuery")
        tr = resolve_range(insight.get("dateRange"), interval_of(insight), env.tz)
        per_person = stickiness_per_person(c, node, insight.get("properties"), tr)
        day = _int(source, "day")
        return c, f"SELECT person, events FROM ({per_person}) WHERE intervals = {day}", True
    if inner == "RetentionQuery":
        settings, breakdown, tr = retention_setup(env, insight)
        cells = retention_per_person(c, insight, settings, breakdown, tr)
        where = [
            f"cohort = {c.params.integer(_int(source, 'interval'))}",
            f"period = {c.params.integer(_int(source, 'period', 0))}",
        ]
        if breakdown is not None:
            value = source.get("breakdown")
            if value is None:
                raise _bad("This retention is broken down: give the row's `breakdown` value.")
            where.append(f"bv = {c.params.string(str(value))}")
        sql = f"SELECT DISTINCT person, 0 AS events FROM ({cells}) WHERE {' AND '.join(where)}"
        return c, sql, False
    if inner == "FunnelsQuery":
        raise _bad("The persons of a funnel step come from a FunnelsActorsQuery.")
    raise _bad(f"An InsightActorsQuery's source is one of {', '.join(INSIGHT_KINDS)}.")


def _funnel(env: QueryEnv, source: dict[str, Any], insight: dict[str, Any]) -> tuple[Compiler, str]:
    if insight.get("kind") != "FunnelsQuery":
        raise _bad("A FunnelsActorsQuery's source is a FunnelsQuery.")
    c = Compiler(env)
    chains, breakdown = funnel_chains(c, insight)
    steps = len(node_list(insight, "FunnelsQuery"))
    step = _int(source, "funnelStep")
    if step > 0 and step <= steps:
        reached = f"length(chain) >= {step}"
    elif step < -1 and -step <= steps:
        reached = f"length(chain) = {-step - 1}"
    else:
        raise _bad(
            f"`funnelStep` is 1 to {steps} (reached that step) or -2 to -{steps} (dropped "
            "off before it)."
        )
    rows = chains
    where = [reached]
    if breakdown is not None:
        rows = funnel_groups(c, chains, breakdown)
        value = source.get("funnelStepBreakdown")
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None:
            raise _bad("This funnel is broken down: give the `funnelStepBreakdown` value.")
        where.append(f"grp = {c.params.string(str(value))}")
    return c, f"SELECT person, 0 AS events FROM ({rows}) WHERE {' AND '.join(where)}"


def actor_page(
    env: QueryEnv, source: Any, limit: int, offset: int, among: list[int] | None = None
) -> tuple[list[tuple[str, int]], int, bool]:
    """A page of the persons (ids) at the point with their event counts, most events first,
    then by person index; the number of persons at the point; and whether the counts mean
    something. `among`: only these person indexes (a search's)."""
    c, sql, counted = insight_actors(env, source)
    where = "1"
    if among is not None:
        where = f"person IN ({', '.join(str(int(k)) for k in among) or 'NULL'})"
    rows = c.run(
        f"SELECT person, events, count() OVER () FROM ({sql}) WHERE {where} "
        f"ORDER BY events DESC, person LIMIT {int(limit)} OFFSET {int(offset)}"
    ).rows
    if not rows:
        total = int(c.run(f"SELECT count() FROM ({sql}) WHERE {where}").rows[0][0])
        return [], total, counted
    events = {int(k): int(n) for k, n, _ in rows}
    key, person = person_key_source(env.store, env.team_id), person_source(env.store, env.team_id)
    keys = ", ".join(str(k) for k in events)  # integers the query just gave
    ids = dict(
        c.run(
            f"SELECT {key} AS person, any(toString({person})) FROM {EVENTS_TABLE} "
            f"WHERE {c.team()} AND person IN ({keys}) GROUP BY person"
        ).rows
    )
    page = [(str(ids[k]), n) for k, n in events.items() if k in ids]
    return page, int(rows[0][2]), counted
