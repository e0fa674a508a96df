"""PathsQuery at 10M: ways to get the edges and the drop-off per step from one read.

The same data and query as the paths case of `bench/insights.py` (page views, 5 steps, 30
days, URLs cleaned; point --data-dir at a copy of a loaded directory, as there). Timed in
one process, alternating, one warm-up then --runs runs each:

  runner         `run_paths_query` as it is (one statement, `GROUP BY GROUPING SETS
                 ((step, source, target), (length))`)
  two reads      the runner before session 9: the edges and ends in one statement, the
                 persons per path length in a second one over the same paths
  kind column    one statement: each path gives its moves, its end and its length as rows
                 of one GROUP BY with a kind column (move, end, length)
  hand SQL       the hand-written SQL of `bench/insights.py` (edges and ends only)

Every alternative's answer is checked against the runner's (edges, ends and persons per
length). The p50s and their ratio to the hand-written SQL's go in the report.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from common import ROOT, md_table, percentile, report
from hedgerow.query.core import Compiler, QueryEnv
from hedgerow.query.paths import _settings, paths_per_person, run_paths_query
from hedgerow.store.chdb import ChdbEventStore
from insights import EV, load_average, paths_case, timed, wait_for_mutations

Answer = tuple[frozenset[tuple[Any, ...]], frozenset[tuple[Any, ...]]]

MOVES = (
    "arrayConcat(arrayMap(i -> (i, path[i], path[i + 1]), range(1, length(path))), "
    "[(length(path), path[-1], '')])"
)


def two_reads(env: QueryEnv, query: dict[str, Any]) -> Answer:
    c = Compiler(env)
    per_person = paths_per_person(c, query, _settings(query))
    moves = c.run(
        "SELECT m.1, m.2, m.3, uniqExact(person) FROM (SELECT person, "
        f"arrayJoin({MOVES}) AS m FROM ({per_person})) GROUP BY m.1, m.2, m.3"
    ).rows
    lengths = c.run(
        f"SELECT length(path), uniqExact(person) FROM ({per_person}) GROUP BY length(path)"
    ).rows
    return _answer(moves, lengths)


def kind_column(env: QueryEnv, query: dict[str, Any]) -> Answer:
    c = Compiler(env)
    per_person = paths_per_person(c, query, _settings(query))
    marks = (
        "arrayConcat(arrayMap(i -> (0, i, path[i], path[i + 1]), range(1, length(path))), "
        "[(1, length(path), path[-1], ''), (2, length(path), '', '')])"
    )
    rows = c.run(
        "SELECT m.1 AS kind, m.2 AS step, m.3 AS source, m.4 AS target, uniqExact(person) "
        f"FROM (SELECT person, arrayJoin({marks}) AS m FROM ({per_person})) "
        "GROUP BY kind, step, source, target"
    ).rows
    moves = [r[1:] for r in rows if int(r[0]) < 2]
    lengths = [[r[1], r[4]] for r in rows if int(r[0]) == 2]
    return _answer(moves, lengths)


def _answer(moves: list[list[Any]], lengths: list[list[Any]]) -> Answer:
    return (
        frozenset((int(s), a, b, int(n)) for s, a, b, n in moves),
        frozenset((int(k), int(n)) for k, n in lengths),
    )


def runner_answer(answer: dict[str, Any]) -> tuple[frozenset[tuple[Any, ...]], ...]:
    """Of the runner's answer, what every alternative can be checked on: the top edges,
    every end, every length."""
    edges = frozenset((e["source"], e["target"], e["value"]) for e in answer["results"])
    ends = frozenset((d["node"], d["value"]) for d in answer["dropoffs"])
    lengths = frozenset((int(k), v) for k, v in answer["dropoff_by_step"].items())
    return edges, ends, lengths


def as_runner(answer: Answer, top: int) -> tuple[frozenset[tuple[Any, ...]], ...]:
    moves, lengths = answer
    edges = sorted((-n, f"{s}_{a}", f"{s + 1}_{b}") for s, a, b, n in moves if b != "")[:top]
    ends = frozenset((f"{s}_{a}", n) for s, a, b, n in moves if b == "")
    return frozenset((a, b, -n) for n, a, b in edges), ends, lengths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench/data/analytics-10000000")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    meta = json.loads((args.data_dir / "bench-analytics.json").read_text())
    load_before = load_average()
    store = ChdbEventStore(args.data_dir / "events.chdb")
    wait_for_mutations(store)
    env = QueryEnv(store, 1, "UTC")
    anchor = datetime.fromisoformat(meta["anchor"])
    materialized = store.materialized_columns().get("$current_url")
    url = f"`{materialized}`" if materialized else "JSONExtractString(properties, '$current_url')"
    _, query, hand_sql, _ = paths_case(anchor, url)
    top = query["pathsFilter"]["edgeLimit"]
    expected = runner_answer(run_paths_query(env, query))
    checks = {
        "two reads (before)": as_runner(two_reads(env, query), top) == expected,
        "kind column": as_runner(kind_column(env, query), top) == expected,
    }
    variants: dict[str, Callable[[], Any]] = {
        "runner (one statement, GROUPING SETS)": lambda: run_paths_query(env, query),
        "two reads (before)": lambda: two_reads(env, query),
        "kind column": lambda: kind_column(env, query),
        "hand SQL (edges and ends only)": lambda: store.query(hand_sql),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():
        fn()  # warm-up
    for _ in range(args.runs):
        for name, fn in variants.items():
            times[name].append(timed(fn))
    hand = percentile(times["hand SQL (edges and ends only)"], 50)
    rows = [
        [
            name,
            f"{percentile(t, 50):.0f} / {percentile(t, 95):.0f}",
            f"{percentile(t, 50) / hand:.2f}",
            {True: "same", False: "DIFFERENT"}.get(checks.get(name, True)),
        ]
        for name, t in times.items()
    ]
    load_after = load_average()
    table = md_table(["variant", "p50 / p95 ms", "ratio to hand SQL (p50)", "answer"], rows)
    notes = [
        f"{int(store.query(f'SELECT count() FROM {EV}').rows[0][0]):,} events, anchor "
        f"{anchor.date()}, {args.runs} runs each after a warm-up, alternating; load average "
        f"(1/5/15 min) before {load_before}, after {load_after} on {os.cpu_count()} cores.",
        table,
    ]
    data = {"times_ms": times, "checks": checks, "load": [load_before, load_after]}
    report("paths_alternatives", "PathsQuery: one read or two (issue 16)", notes, data)
    store.close()


if __name__ == "__main__":
    main()
