"""`PathsQuery`: the most common ways persons move between pages, screens or events.

Request: `pathsFilter` with `includeEventTypes` (any of `$pageview`, `$screen`,
`custom_event`; default `["$pageview"]`), `startPoint`, `endPoint`, `stepLimit` (default 5,
2 to 20), `edgeLimit` (default 50), `minEdgeWeight`, `maxEdgeWeight`, `excludeEvents`
(event names, or path items after cleaning, left out) and `localPathCleaningFilters`
(`[{"regex", "alias"}]`); `dateRange` and `properties` for the whole query.

A path item is the event's `$current_url` for a page view, `$screen_name` for a screen and
the event name for a custom event. Cleaning rules replace every match of their regex (RE2)
by their alias, in order, before anything else. A person's events in the range, in time
order, are cut into sessions where 30 minutes pass between two events (as PostHog's paths
do: by time, not by `$session_id`), and repeats of the same item in a row count once.
A session's path starts at its first `startPoint` (sessions without it are left out); it
ends at the first `endPoint` after that (sessions without it are left out), keeping the
`stepLimit` items before it when there is no start point; it keeps at most `stepLimit`
items. Nodes are named with their step, `1_/pricing`; an edge's `value` is the number of
persons (effective, after merges) with that move at that step in some session. `dropoffs`
says, per node of the returned edges, how many persons had a path end there (a month of URLs
ends paths at hundreds of thousands of nodes: 2.7 MB of JSON for a chart that shows the
edges' nodes only), and `dropoff_by_step` per step.
"""

from __future__ import annotations

import heapq
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import Compiler, QueryEnv
from hedgerow.query.timerange import resolve_range
from hedgerow.store.schema import EVENTS_TABLE

EVENT_TYPES = ("$pageview", "$screen", "custom_event")
SESSION_GAP_SECONDS = 30 * 60
DEFAULT_STEPS, MAX_STEPS = 5, 20
DEFAULT_EDGES = 50


def _integer(spec: dict[str, Any], field: str, default: int | None, low: int, high: int) -> Any:
    value = spec.get(field)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadRequest(
            f"`{field}` must be an integer from {low} to {high}.", code="invalid_query"
        )
    return value


def _settings(query: dict[str, Any]) -> dict[str, Any]:
    spec = query.get("pathsFilter") or {}
    if not isinstance(spec, dict):
        raise BadRequest("`pathsFilter` must be an object.", code="invalid_query")
    types = spec.get("includeEventTypes") or ["$pageview"]
    if not isinstance(types, list) or any(t not in EVENT_TYPES for t in types):
        raise BadRequest(
            f"`includeEventTypes` is a list of {', '.join(EVENT_TYPES)}.", code="invalid_query"
        )
    rules = spec.get("localPathCleaningFilters") or []
    if not isinstance(rules, list) or not all(
        isinstance(r, dict) and isinstance(r.get("regex"), str) for r in rules
    ):
        raise BadRequest(
            '`localPathCleaningFilters` is a list of {"regex", "alias"}.', code="invalid_query"
        )
    for field in ("startPoint", "endPoint"):
        if spec.get(field) is not None and not isinstance(spec[field], str):
            raise BadRequest(f"`{field}` must be a path item (text).", code="invalid_query")
    excluded = spec.get("excludeEvents") or []
    if not isinstance(excluded, list) or not all(isinstance(e, str) for e in excluded):
        raise BadRequest("`excludeEvents` is a list of names.", code="invalid_query")
    big = 10**9
    return {
        "types": types,
        "rules": [(r["regex"], str(r.get("alias") or "")) for r in rules],
        "start": spec.get("startPoint") or None,
        "end": spec.get("endPoint") or None,
        "excluded": excluded,
        "steps": _integer(spec, "stepLimit", DEFAULT_STEPS, 2, MAX_STEPS),
        "edges": _integer(spec, "edgeLimit", DEFAULT_EDGES, 1, 10_000),
        "min_weight": _integer(spec, "minEdgeWeight", 1, 1, big),
        "max_weight": _integer(spec, "maxEdgeWeight", None, 1, big),
    }


def paths_per_person(c: Compiler, query: dict[str, Any], s: dict[str, Any]) -> str:
    """One row per session path: `person` and `path` (the items, cleaned and cut)."""
    tr = resolve_range(query.get("dateRange"), "day", c.env.tz)
    item = "event"
    kinds = []
    if "$pageview" in s["types"]:
        kinds.append("'$pageview'")
        url = c.reader.text("event", "$current_url")
        item = f"if(event = '$pageview', {url}, {item})"
    if "$screen" in s["types"]:
        kinds.append("'$screen'")
        screen = c.reader.text("event", "$screen_name")
        item = f"if(event = '$screen', {screen}, {item})"
    if "custom_event" in s["types"]:
        condition = "NOT startsWith(event, '$')"
        if kinds:
            condition = f"({condition} OR event IN ({', '.join(kinds)}))"
    else:
        condition = f"event IN ({', '.join(kinds)})"
    for pattern, alias in s["rules"]:
        c.reader.regexes.append(pattern)
        item = f"replaceRegexpAll({item}, {c.params.string(pattern)}, {c.params.string(alias)})"
    where = [c.team(), condition, *c.between(tr.utc_start(), tr.utc_end())]
    extra = c.filters(query.get("properties"))
    if extra:
        where.append(extra)
    if s["excluded"]:
        excluded = c.params.strings(s["excluded"])
        where.append(f"NOT has({excluded}, event) AND NOT has({excluded}, {item})")
    steps = s["steps"]
    cut = "items"
    if s["start"] is not None:
        cut = f"arraySlice({cut}, indexOf({cut}, {c.params.string(s['start'])}))"
    if s["end"] is not None:
        end = c.params.string(s["end"])
        if s["start"] is None:
            at = f"indexOf({cut}, {end})"
            cut = f"arraySlice({cut}, greatest(1, {at} - {steps - 1}), least({at}, {steps}))"
        else:
            cut = f"arraySlice({cut}, 1, indexOf({cut}, {end}))"
    keep = ["notEmpty(path)"]
    if s["start"] is not None:
        keep.append(f"path[1] = {c.params.string(s['start'])}")
    if s["end"] is not None:
        keep.append(f"path[-1] = {c.params.string(s['end'])}")
    sessions = (
        f"SELECT person, arraySort(x -> x.1, groupArray((timestamp, item))) AS evs, "
        "arrayMap(x -> toUnixTimestamp64Milli(x.1), evs) AS t, "
        "arraySplit((x, gap) -> gap, evs, arrayMap((a, b) -> a - b > "
        f"{SESSION_GAP_SECONDS * 1000}, t, arrayPushFront(arrayPopBack(t), t[1]))) AS sessions "
        f"FROM (SELECT {c.person_key()} AS person, timestamp, {item} AS item "
        f"FROM {EVENTS_TABLE} WHERE {' AND '.join(where)}) GROUP BY person"
    )
    return (
        "SELECT person, path FROM (SELECT person, arrayMap(x -> x.2, session) AS raw, "
        "arrayFilter((x, i) -> i = 1 OR x != raw[i - 1], raw, arrayEnumerate(raw)) AS items, "
        f"arraySlice({cut}, 1, {steps}) AS path FROM (SELECT person, arrayJoin(sessions) AS "
        f"session FROM ({sessions}))) WHERE {' AND '.join(keep)}"
    )


def run_paths_query(env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
    settings = _settings(query)
    c = Compiler(env)
    per_person = paths_per_person(c, query, settings)
    # (step, source, target) per move, and (step, last item, '') where a path ends.
    moves = (
        "arrayConcat(arrayMap(i -> (i, path[i], path[i + 1]), range(1, length(path))), "
        "[(length(path), path[-1], '')])"
    )
    # One read for both: persons per move and, in the same statement, per path length (its
    # rows have step 0, as no move has). Measured faster than two statements and than a
    # kind column in one GROUP BY (docs/benchmarks.md, session 9).
    rows = c.run(
        "SELECT m.1 AS step, m.2 AS source, m.3 AS target, length(path) AS steps, "
        f"uniqExact(person) FROM (SELECT person, path, arrayJoin({moves}) AS m "
        f"FROM ({per_person})) GROUP BY GROUPING SETS ((step, source, target), (steps))"
    ).rows
    candidates: list[tuple[int, int, str, str]] = []  # (persons, step, source, target)
    dropoffs: list[dict[str, Any]] = []
    by_step: dict[int, int] = {}
    low, high = settings["min_weight"], settings["max_weight"]
    for raw_step, source, target, length, persons in rows:
        step, value = int(raw_step), int(persons)  # 64-bit integers may come quoted
        if not step:
            by_step[int(length)] = value
        elif target == "":
            dropoffs.append({"node": f"{step}_{source}", "step": step, "value": value})
        elif value >= low and (high is None or value <= high):
            candidates.append((value, step, source, target))
    edges = _top_edges(candidates, settings["edges"])
    shown = {node for _, source, target in edges for node in (source, target)}
    dropoffs = [d for d in dropoffs if d["node"] in shown]
    dropoffs.sort(key=lambda d: (d["step"], -d["value"], d["node"]))
    return {
        "results": [
            {"source": source, "target": target, "value": -negative}
            for negative, source, target in edges
        ],
        "dropoffs": dropoffs,
        "dropoff_by_step": {str(k): n for k, n in sorted(by_step.items())},
        "hasMore": len(candidates) > settings["edges"],
        "timezone": env.timezone,
        "is_cached": False,
    }


def _top_edges(
    candidates: list[tuple[int, int, str, str]], limit: int
) -> list[tuple[int, str, str]]:
    """The `limit` heaviest moves as (-persons, source node, target node), heaviest first,
    ties by node names. A month of URLs gives hundreds of thousands of moves: only those
    as heavy as the `limit`-th get their node names built and sorted."""
    if len(candidates) > limit:
        floor = heapq.nlargest(limit, (c[0] for c in candidates))[-1]
        candidates = [c for c in candidates if c[0] >= floor]
    edges = sorted(
        (-value, f"{step}_{source}", f"{step + 1}_{target}")
        for value, step, source, target in candidates
    )
    return edges[:limit]
