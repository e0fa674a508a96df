"""`TrendsQuery`: series of events or actions counted per interval, in PostHog's shape.

Request fields: `series` (EventsNode/ActionsNode, each with `math`, `math_property`,
`properties`, `custom_name`), `interval`, `dateRange`, `properties` (for every series),
`breakdownFilter` (`breakdown`, `breakdown_type` event|person, `breakdown_limit`,
`breakdown_hide_other_aggregation`), `compareFilter` (`compare`, `compare_to`) and
`trendsFilter` (`formula`, `formulas` or `formulaNodes`). The answer has one result per series
(and breakdown value), or per formula, with `data` zero-filled over every interval.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import Compiler, QueryEnv, node_list, series_action
from hedgerow.query.dates import resolve_local_date
from hedgerow.query.formula import Formula, parse_formula
from hedgerow.query.timerange import TimeRange, interval_of, resolve_range
from hedgerow.query.trends_series import (
    DEFAULT_BREAKDOWN_LIMIT,
    NULL_VALUE,
    OTHER_VALUE,
    Breakdown,
    SeriesData,
    compute_series,
    series_math,
)
from hedgerow.store.schema import EVENTS_TABLE

BREAKDOWN_TYPES = ("event", "person", "hogql")
# `hogql` breakdowns: PostHog takes any expression; Hedgerow the event's name only.
HOGQL_BREAKDOWNS = ("event",)
# Displays that show one number per series: the answer has `aggregated_value` instead of data.
AGGREGATE_DISPLAYS = ("BoldNumber", "ActionsPie", "ActionsTable", "ActionsBarValue", "WorldMap")


def run_trends_query(env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
    series = node_list(query, "TrendsQuery")
    for node in series:
        series_math(node)
    current, previous = trends_ranges(env, query)
    breakdown = parse_breakdown(query.get("breakdownFilter"))
    formulas = _formulas(query.get("trendsFilter"), len(series))
    display = (query.get("trendsFilter") or {}).get("display")
    whole = display in AGGREGATE_DISPLAYS
    filters = query.get("properties")
    names = _names(env, series)

    results: list[dict[str, Any]] = []
    periods = [("current", current)] + ([("previous", previous)] if previous else [])
    pre_aggregated = False
    for compare_label, time_range in periods:
        data = [
            compute_series(env, node, filters, time_range, breakdown, whole=whole)
            for node in series
        ]
        pre_aggregated = pre_aggregated or any(found.pre_aggregated for found in data)
        axis = _Axis(time_range)
        if whole:
            axis.keys, axis.days, axis.labels = [""], [], []
        if formulas:
            found = _formula_results(formulas, data, axis)
        else:
            found = _series_results(series, names, data, axis, breakdown is not None)
        if previous:
            for result in found:
                result["compare"] = True
                result["compare_label"] = compare_label
        if whole:
            for result in found:
                result["aggregated_value"] = result.pop("data")[0]
                result["data"] = []
        results.extend(found)
    response: dict[str, Any] = {
        "results": results,
        "timezone": env.timezone,
        "resolved_date_range": current.as_json(),
        "hasMore": False,
        "is_cached": False,
    }
    if previous:
        response["resolved_compare_date_range"] = previous.as_json()
    if pre_aggregated:  # the web analytics chart's series (`web_daily_trend.py`)
        response["usedPreAggregatedTables"] = True
    return response


def trends_ranges(env: QueryEnv, query: dict[str, Any]) -> tuple[TimeRange, TimeRange | None]:
    """The date range of a trends query, and the previous one it is compared to (or None)."""
    current = resolve_range(
        query.get("dateRange"), interval_of(query), env.tz, earliest=lambda: _earliest(env)
    )
    return current, _previous_range(current, query.get("compareFilter"))


def parse_breakdown(spec: Any) -> Breakdown | None:
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise BadRequest("`breakdownFilter` must be an object.", code="invalid_query")
    key = spec.get("breakdown")
    if key is None:
        return None
    if not isinstance(key, str) or not key:
        raise BadRequest(
            "`breakdownFilter.breakdown` must be a property name.", code="invalid_query"
        )
    source = spec.get("breakdown_type") or "event"
    if source not in BREAKDOWN_TYPES:
        raise BadRequest(
            f"Breakdowns are by `breakdown_type` {', '.join(BREAKDOWN_TYPES)}; got {source!r}.",
            code="invalid_query",
        )
    if source == "hogql" and key not in HOGQL_BREAKDOWNS:
        raise BadRequest(
            f"A `hogql` breakdown is by the event's name: `breakdown` must be 'event', not "
            f"{key!r}.",
            code="invalid_query",
        )
    limit = spec.get("breakdown_limit") or DEFAULT_BREAKDOWN_LIMIT
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
        raise BadRequest(
            "`breakdown_limit` must be an integer from 1 to 1000.", code="invalid_query"
        )
    hide = bool(spec.get("breakdown_hide_other_aggregation"))
    return Breakdown(key, source, limit, hide)


def _previous_range(current: TimeRange, spec: Any) -> TimeRange | None:
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise BadRequest("`compareFilter` must be an object.", code="invalid_query")
    if not spec.get("compare"):
        return None
    compare_to = spec.get("compare_to")
    if compare_to is None:
        return current.shifted(-len(current.bucket_starts()))
    if not isinstance(compare_to, str) or not compare_to.startswith("-"):
        raise BadRequest(
            "`compare_to` is a relative date in the past such as '-1y', '-4w' or '-30d'.",
            code="invalid_query",
        )
    moved = resolve_local_date(compare_to, now=current.start, tz=current.tz)
    assert moved is not None
    return current.moved_to(moved)


def _formulas(spec: Any, count: int) -> list[tuple[str, str | None, Formula]]:
    if not spec:
        return []
    if not isinstance(spec, dict):
        raise BadRequest("`trendsFilter` must be an object.", code="invalid_query")
    nodes: list[tuple[str, str | None]] = []
    for node in spec.get("formulaNodes") or []:
        if not isinstance(node, dict):
            raise BadRequest("Each formula node is {formula, custom_name}.", code="invalid_formula")
        nodes.append((str(node.get("formula") or ""), node.get("custom_name")))
    nodes += [(text, None) for text in spec.get("formulas") or []]
    if not nodes and spec.get("formula"):
        nodes.append((spec["formula"], None))
    return [(text, name, parse_formula(text, count)) for text, name in nodes]


def _names(env: QueryEnv, series: list[dict[str, Any]]) -> list[str]:
    compiler = Compiler(env)
    return [compiler.entity_name(node) for node in series]


def _earliest(env: QueryEnv) -> datetime | None:
    rows = env.store.query(
        f"SELECT toString(min(timestamp)), count() FROM {EVENTS_TABLE} "
        "WHERE team_id = {team:Int64}",
        {"team": env.team_id},
    ).rows
    if not rows or not int(rows[0][1]):
        return None
    return datetime.fromisoformat(rows[0][0] + "+00:00")


class _Axis:
    def __init__(self, time_range: TimeRange) -> None:
        starts = time_range.bucket_starts()
        self.keys = [time_range.key(s) for s in starts]
        self.days = [time_range.day(s) for s in starts]
        self.labels = [time_range.label(s) for s in starts]


def _breakdown_label(value: str | None) -> str:
    if value == OTHER_VALUE:
        return "Other (i.e. all remaining values)"
    if value == NULL_VALUE:
        return "None"
    return str(value)


def _series_results(
    series: list[dict[str, Any]],
    names: list[str],
    data: list[SeriesData],
    axis: _Axis,
    with_breakdown: bool,
) -> list[dict[str, Any]]:
    results = []
    for order, (node, name, found) in enumerate(zip(series, names, data, strict=True)):
        action = series_action(node, order, name, node.get("math") or "total")
        action["math_property"] = node.get("math_property")
        for value in found.order:
            points = [found.values[value].get(key, 0) for key in axis.keys]
            label = _breakdown_label(value) if with_breakdown else node.get("custom_name") or name
            results.append(_result(action, label, points, axis, value, with_breakdown))
    return results


def _result(
    action: dict[str, Any],
    label: str,
    points: list[Any],
    axis: _Axis,
    value: str | None,
    with_breakdown: bool,
) -> dict[str, Any]:
    """One result row in PostHog's shape; `breakdown_value` only when broken down."""
    result: dict[str, Any] = {
        "action": action,
        "label": label,
        "count": sum(points),
        "data": points,
        "labels": axis.labels,
        "days": axis.days,
    }
    if with_breakdown:
        result["breakdown_value"] = value
    return result


def _formula_results(
    formulas: list[tuple[str, str | None, Formula]], data: list[SeriesData], axis: _Axis
) -> list[dict[str, Any]]:
    values: list[str | None] = []
    for found in data:
        values += [v for v in found.order if v not in values]
    with_breakdown = values != [None]
    results = []
    for text, custom_name, formula in formulas:
        for value in values:
            rows = [found.values.get(value, {}) for found in data]
            points = [formula([row.get(key, 0) for row in rows]) for key in axis.keys]
            action = {"name": text, "custom_name": custom_name, "type": "formula"}
            label = (custom_name or text) + (
                f" - {_breakdown_label(value)}" if with_breakdown else ""
            )
            results.append(_result(action, label, points, axis, value, with_breakdown))
    return results
