"""Retention, lifecycle and stickiness on 10M events, each beside hand-written ClickHouse SQL.

Reads a data directory loaded by `bench/analytics.py --load-only` (--data-dir; 10,000,000
events of 100,000 persons over the 90 days before its anchor). Opening it with the current
store writes to it (the `first_seen` projection is added and built for the stored parts:
this waits for that), so point --data-dir at a copy (`cp -a`) of a directory others use.

Timed, in one process, for each case: Hedgerow's query runner (SQL built from the typed
query, run, response shaped; no HTTP, as bench/analytics.py) and a hand-written ClickHouse
SQL doing the same work, alternately, one warm-up then --runs runs each; the table has
p50 and p95 (nearest rank) and the ratio of the p50s. Both answers are compared cell by
cell (every retention cell, every lifecycle status of every day, every stickiness count).
Cases: weekly retention over 12 weeks (`$pageview` then `$pageview`, recurring), daily
lifecycle over 90 days (`$pageview`), daily stickiness over 30 days (`$pageview`), and paths
of page views with 5 steps over 30 days (the URL's query string cleaned away, as a user's
cleaning rule would: the data's URLs end in `?ref=<0-499>`; the top 50 edges and every
drop-off compared). The hand-written lifecycle is also timed with projections turned off,
to show what reading every event for each person's first one costs. The machine's load
average before and after goes in the report.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from common import ROOT, md_table, percentile, report
from hedgerow.query.core import QueryEnv
from hedgerow.query.lifecycle import run_lifecycle_query
from hedgerow.query.paths import run_paths_query
from hedgerow.query.retention import run_retention_query
from hedgerow.query.stickiness import run_stickiness_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE

EV = f"{DATABASE}.events"
Cells = dict[tuple[Any, ...], int]


def _day_number(day: datetime) -> int:
    return (day.date() - datetime(1970, 1, 1).date()).days


def _stamp(day: datetime, end: bool = False) -> str:
    clock = "23:59:59.999999" if end else "00:00:00"
    return f"toDateTime64('{day.date().isoformat()} {clock}', 6, 'UTC')"


def retention_case(anchor: datetime) -> tuple[str, dict[str, Any], str, Callable[..., Cells]]:
    last = anchor - timedelta(days=1)
    sunday = last - timedelta(days=(last.weekday() + 1) % 7)
    first = sunday - timedelta(weeks=11)
    sunday_number = "toRelativeDayNum(toStartOfWeek(toDate(timestamp, 'UTC'), 0))"
    week = f"intDiv({sunday_number} - {_day_number(first)}, 7)"
    query = {
        "kind": "RetentionQuery",
        "dateRange": {"date_to": last.date().isoformat()},
        "retentionFilter": {
            "period": "Week",
            "totalIntervals": 12,
            "retentionType": "retention_recurring",
            "targetEntity": {"id": "$pageview", "type": "events"},
            "returningEntity": {"id": "$pageview", "type": "events"},
        },
    }
    sql = (
        "SELECT cohort, r - cohort AS period, count() FROM ("
        f"SELECT groupUniqArray({week}) AS weeks FROM {EV} WHERE team_id = 1 AND "
        f"event = '$pageview' AND timestamp >= {_stamp(first)} AND "
        f"timestamp <= {_stamp(last, end=True)} GROUP BY person_idx) "
        "ARRAY JOIN weeks AS cohort ARRAY JOIN weeks AS r WHERE r >= cohort "
        "GROUP BY cohort, period"
    )

    def ours(answer: dict[str, Any]) -> Cells:
        return {
            (c, p): int(v["count"])
            for c, row in enumerate(answer["results"])
            for p, v in enumerate(row["values"])
            if v["count"]
        }

    return "RetentionQuery, Week, 12 weeks, $pageview → $pageview", query, sql, ours


def lifecycle_case(anchor: datetime) -> tuple[str, dict[str, Any], str, Callable[..., Cells]]:
    last = anchor - timedelta(days=1)
    first = anchor - timedelta(days=90)
    day = f"(toRelativeDayNum(toDate(timestamp, 'UTC')) - {_day_number(first)})"
    query = {
        "kind": "LifecycleQuery",
        "interval": "day",
        "series": [{"event": "$pageview"}],
        "dateRange": {"date_from": first.date().isoformat(), "date_to": last.date().isoformat()},
    }
    # Status codes: 1 new, 2 returning, 3 resurrecting, 4 dormant (counted negative).
    sql = (
        f"WITH seen AS (SELECT person_idx, min(timestamp) AS f FROM {EV} WHERE team_id = 1 "
        "GROUP BY person_idx) "
        "SELECT pair.1 AS d, pair.2 AS status, count() FROM ("
        "SELECT arrayConcat("
        "arrayMap(d -> (d, multiIf(d = fd, 1, has(days, d - 1), 2, 3)), "
        "arrayFilter(d -> d >= 0, days)), "
        "arrayMap(d -> (d + 1, 4), arrayFilter(d -> d < 89 AND NOT has(days, d + 1), days))"
        f") AS pairs, toRelativeDayNum(toDate(f, 'UTC')) - {_day_number(first)} AS fd "
        f"FROM (SELECT person_idx, groupUniqArray({day}) AS days FROM {EV} WHERE team_id = 1 "
        f"AND event = '$pageview' AND timestamp >= {_stamp(first - timedelta(days=1))} AND "
        f"timestamp <= {_stamp(last, end=True)} GROUP BY person_idx) AS a "
        "INNER JOIN seen USING person_idx) ARRAY JOIN pairs AS pair GROUP BY d, status"
    )
    codes = {"new": 1, "returning": 2, "resurrecting": 3, "dormant": 4}

    def ours(answer: dict[str, Any]) -> Cells:
        return {
            (d, codes[row["status"]]): abs(int(n))
            for row in answer["results"]
            for d, n in enumerate(row["data"])
            if n
        }

    return "LifecycleQuery, day, 90 days, $pageview", query, sql, ours


def stickiness_case(anchor: datetime) -> tuple[str, dict[str, Any], str, Callable[..., Cells]]:
    last = anchor - timedelta(days=1)
    first = anchor - timedelta(days=30)
    query = {
        "kind": "StickinessQuery",
        "interval": "day",
        "series": [{"event": "$pageview"}],
        "dateRange": {"date_from": first.date().isoformat(), "date_to": last.date().isoformat()},
    }
    sql = (
        "SELECT n, count() FROM (SELECT uniqExact(toDate(timestamp, 'UTC')) AS n "
        f"FROM {EV} WHERE team_id = 1 AND event = '$pageview' AND timestamp >= {_stamp(first)} "
        f"AND timestamp <= {_stamp(last, end=True)} GROUP BY person_idx) GROUP BY n"
    )

    def ours(answer: dict[str, Any]) -> Cells:
        data = answer["results"][0]["data"]
        return {(k + 1,): int(n) for k, n in enumerate(data) if n}

    return "StickinessQuery, day, 30 days, $pageview", query, sql, ours


PATH_EDGES = 50


def paths_case(anchor: datetime, url: str) -> tuple[str, dict[str, Any], str, Callable[..., Cells]]:
    """`url`: the SQL of `$current_url` (its materialized column when there is one)."""
    last = anchor - timedelta(days=1)
    first = anchor - timedelta(days=30)
    query = {
        "kind": "PathsQuery",
        "pathsFilter": {
            "includeEventTypes": ["$pageview"],
            "stepLimit": 5,
            "edgeLimit": PATH_EDGES,
            "localPathCleaningFilters": [{"regex": "\\?.*$", "alias": ""}],
        },
        "dateRange": {"date_from": first.date().isoformat(), "date_to": last.date().isoformat()},
    }
    # Each person's page views in time order, cut into sessions at 30-minute gaps, repeats in
    # a row counted once, the first 5 kept; then persons per (step, from, to), '' = ended.
    sql = (
        "SELECT m.1, m.2, m.3, uniqExact(person_idx) FROM (SELECT person_idx, arrayJoin("
        "arrayConcat(arrayMap(i -> (i, path[i], path[i + 1]), range(1, length(path))), "
        "[(length(path), path[-1], '')])) AS m FROM (SELECT person_idx, arraySlice(arrayFilter("
        "(x, i) -> i = 1 OR x != raw[i - 1], raw, arrayEnumerate(raw)), 1, 5) AS path FROM ("
        "SELECT person_idx, arrayMap(x -> x.2, arrayJoin(arraySplit((x, gap) -> gap, evs, "
        "arrayMap((a, b) -> a - b > 1800000, t, arrayPushFront(arrayPopBack(t), t[1]))))) AS raw "
        "FROM (SELECT person_idx, arraySort(x -> x.1, groupArray((timestamp, "
        f"replaceRegexpAll({url}, '\\?.*$', '')))) AS evs, "
        "arrayMap(x -> toUnixTimestamp64Milli(x.1), evs) AS t "
        f"FROM {EV} WHERE team_id = 1 AND event = '$pageview' AND timestamp >= {_stamp(first)} "
        f"AND timestamp <= {_stamp(last, end=True)} GROUP BY person_idx)))) "
        "GROUP BY m.1, m.2, m.3"
    )

    def ours(answer: dict[str, Any]) -> Cells:
        cells: Cells = {("edge", e["source"], e["target"]): e["value"] for e in answer["results"]}
        cells.update({("end", d["node"]): d["value"] for d in answer["dropoffs"]})
        return cells

    return "PathsQuery, $pageview, 5 steps, 30 days, URLs cleaned", query, sql, ours


def path_cells(rows: list[list[Any]]) -> Cells:
    """The hand-written paths rows as the runner answers them: the top edges (by persons,
    then by node names) and every node where paths ended."""
    edges = sorted(
        (-int(n), f"{int(step)}_{source}", f"{int(step) + 1}_{target}")
        for step, source, target, n in rows
        if target != ""
    )
    cells: Cells = {("edge", s, t): -negative for negative, s, t in edges[:PATH_EDGES]}
    cells.update({("end", f"{int(r[0])}_{r[1]}"): int(r[3]) for r in rows if r[2] == ""})
    return cells


RUNNERS = {
    "RetentionQuery": run_retention_query,
    "LifecycleQuery": run_lifecycle_query,
    "StickinessQuery": run_stickiness_query,
    "PathsQuery": run_paths_query,
}


def hand_cells(rows: list[list[Any]]) -> Cells:
    return {tuple(int(v) for v in row[:-1]): int(row[-1]) for row in rows if int(row[-1])}


def timed(fn: Callable[[], Any]) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) * 1000


def wait_for_mutations(store: ChdbEventStore, timeout: float = 600) -> float:
    """Wait for the events table's pending mutations (the projection's build); seconds."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        pending = store.query(
            f"SELECT count() FROM system.mutations WHERE database = '{DATABASE}' "
            "AND table = 'events' AND NOT is_done"
        ).rows[0][0]
        if not int(pending):
            break
        time.sleep(0.5)
    return time.monotonic() - began


def rows_read(store: ChdbEventStore, statements: list[tuple[str, Any]]) -> int:
    """Rows ClickHouse read for the statements (the `statistics` of its JSON output)."""
    total = 0
    for sql, params in statements:
        raw = store._execute(sql, params, "JSONCompact").bytes()
        total += int(orjson.loads(raw)["statistics"]["rows_read"])
    return total


def statements_of(store: ChdbEventStore, run: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements `run` sends to the store, with their parameters."""
    seen: list[tuple[str, Any]] = []
    original = store.query

    def spy(sql: str, params: Any = None, **kwargs: Any) -> Any:
        seen.append((sql, params))
        return original(sql, params, **kwargs)  # query settings (limits) pass through

    store.query = spy  # type: ignore[method-assign]
    try:
        run()
    finally:
        del store.query
    return seen


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench/data/analytics-10000000")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    meta = json.loads((args.data_dir / "bench-analytics.json").read_text())
    load_before = load_average()
    store = ChdbEventStore(args.data_dir / "events.chdb")
    built = wait_for_mutations(store)
    env = QueryEnv(store, 1, "UTC")
    anchor = datetime.fromisoformat(meta["anchor"])
    events = int(store.query(f"SELECT count() FROM {EV}").rows[0][0])
    rows: list[list[Any]] = []
    data: dict[str, Any] = {"events": events, "cases": [], "projection_wait_s": built}
    materialized = store.materialized_columns().get("$current_url")
    url = f"`{materialized}`" if materialized else "JSONExtractString(properties, '$current_url')"
    cases = [make(anchor) for make in (retention_case, lifecycle_case, stickiness_case)]
    for name, query, sql, ours_cells in [*cases, paths_case(anchor, url)]:
        if args.only not in name:
            continue
        runner = RUNNERS[query["kind"]]
        as_cells = path_cells if query["kind"] == "PathsQuery" else hand_cells
        ours_once, hand_once = ours_cells(runner(env, query)), as_cells(store.query(sql).rows)
        same = ours_once == hand_once and bool(ours_once)
        read = (
            rows_read(store, statements_of(store, lambda r=runner, q=query: r(env, q))),
            rows_read(store, [(sql, None)]),
        )
        ours, hand = [], []
        for _ in range(args.runs):
            ours.append(timed(lambda r=runner, q=query: r(env, q)))  # type: ignore[misc]
            hand.append(timed(lambda s=sql: store.query(s)))  # type: ignore[misc]
        o50, h50 = percentile(ours, 50), percentile(hand, 50)
        o95, h95 = percentile(ours, 95), percentile(hand, 95)
        met = o50 < 1000 and o50 / h50 <= 1.5
        rows.append(
            [
                name,
                f"{o50:.0f} / {o95:.0f}",
                f"{h50:.0f} / {h95:.0f}",
                f"{o50 / h50:.2f}",
                f"{read[0] / 1e6:.2f}M / {read[1] / 1e6:.2f}M",
                f"{len(ours_once)} cells, {'same' if same else 'DIFFERENT'}",
                "yes" if met else "no",
            ]
        )
        case = {"name": name, "ours_ms": ours, "hand_ms": hand, "same": same, "rows_read": read}
        if query["kind"] == "LifecycleQuery":
            plain = sql + " SETTINGS optimize_use_projections = 0"
            case["hand_no_projection_ms"] = [
                timed(lambda s=plain: store.query(s))  # type: ignore[misc]
                for _ in range(3)
            ]
            case["hand_no_projection_rows_read"] = rows_read(store, [(plain, None)])
        data["cases"].append(case)
        print(rows[-1], flush=True)
    table = md_table(
        [
            "query",
            "Hedgerow p50 / p95 ms",
            "hand SQL p50 / p95 ms",
            "ratio (p50)",
            "rows read (ours / hand)",
            "answers",
            "target met",
        ],
        rows,
    )
    data["load_average"] = {"before": load_before, "after": load_average()}
    notes = [
        f"{events:,} events (`bench/analytics.py` data, anchor {anchor.date()}), runner "
        f"in-process (no HTTP), {args.runs} runs each after a warm-up, alternating; "
        f"load average (1/5/15 min) before {load_before}, after {load_average()} on "
        f"{os.cpu_count()} cores.",
        table,
    ]
    for case in data["cases"]:
        if "hand_no_projection_ms" in case:
            times = " / ".join(f"{v:.0f}" for v in case["hand_no_projection_ms"])
            notes.append(
                f"Hand-written lifecycle with projections off (reads every event): {times} ms, "
                f"{case['hand_no_projection_rows_read'] / 1e6:.2f}M rows read."
            )
    report("insights", "Insights (issue 16)", notes, data)
    store.close()


if __name__ == "__main__":
    main()
