"""Every query of the `/web` screen on 10M events, each beside hand-written ClickHouse SQL
over the raw events doing the same work, in one run.

Reads a data directory loaded by `bench/analytics.py --load-only` (--data-dir). Opening it
with the current store writes to it (the sessions table is filled from the stored events
the first time, and the `first_seen` projection built), so point --data-dir at a copy:

    cp -a /work/bench-data/events-10m /tmp/web-10m
    .venv/bin/python bench/web_analytics.py --data-dir /tmp/web-10m

What that data has: `$pageview` is its most common event (about a quarter of them), with
`$current_url` (app.example.com, 188 paths, `?ref=<n>`), `$browser`, `$os`, `$device_type`
and a `$session_id` per person and 6-hour window, over the 90 days before its anchor. It
has no `$pathname`, no `$referring_domain`, no top-level UTM values (a nested `utm` object)
and no `$geoip_*`: those tables come out empty or one row, and the time shows the cost of
reading the events and sessions anyway.

Cases: the tiles (WebOverviewQuery) and every table (WebStatsTableQuery, each breakdownBy,
`limit` 10, bounce rate on where it applies), over the last 7 days with the previous 7
days to compare. Hedgerow's runner (SQL built, run, answer shaped; no HTTP) and the hand
SQL run alternately, one warm-up then --runs runs each; p50 and p95 (nearest rank) and the
ratio of the p50s. The hand SQL makes each session's start and values from the raw events
of its window (sessions are taken to last under a day) instead of the sessions table, then
counts the page views; both answers' current visitors and views are compared row by row.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common import ROOT, md_table, percentile, report
from hedgerow.query.core import QueryEnv
from hedgerow.query.web_overview import run_web_overview_query
from hedgerow.query.web_stats_table import BREAKDOWNS, run_web_stats_table_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE, quote_string, text_form_expression
from insights import load_average, timed, wait_for_mutations

EV = f"{DATABASE}.events"
DAYS = 7
FIRST_EVENT = {  # session column -> event property, from the session's first event
    "$entry_referring_domain": "$referring_domain",
    "$entry_utm_source": "utm_source",
    "$entry_utm_medium": "utm_medium",
    "$entry_utm_campaign": "utm_campaign",
}


def _stamp(moment: datetime) -> str:
    return f"toDateTime64('{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}', 6, 'UTC')"


class HandSql:
    """The hand-written statements, over the raw events only."""

    def __init__(self, materialized: dict[str, str], anchor: datetime) -> None:
        self.materialized = materialized
        self.end = anchor - timedelta(microseconds=1)
        self.current = anchor - timedelta(days=DAYS)
        self.first = anchor - timedelta(days=2 * DAYS)

    def prop(self, key: str, table: str = "") -> str:
        """The property's text form ('' when absent), of the events of `table` (an alias)."""
        column = self.materialized.get(key)
        prefix = f"{table}." if table else ""
        if column:
            return f"{prefix}`{column}`"
        return text_form_expression(f"{prefix}properties", quote_string(key))

    def sessions(self) -> str:
        url = self.prop("$current_url")
        firsts = ", ".join(
            f"nullIf(argMin({self.prop(key)}, timestamp), '') AS `{name}`"
            for name, key in FIRST_EVENT.items()
        )
        return (
            f"SELECT `$session_id` AS sid, min(timestamp) AS start, "
            f"dateDiff('second', start, max(timestamp)) AS duration, "
            f"path(argMinIf({url}, timestamp, {url} != '')) AS `$entry_pathname`, "
            f"path(argMaxIf({url}, timestamp, {url} != '')) AS `$end_pathname`, {firsts}, "
            "countIf(event = '$pageview') AS pageviews, "
            "countIf(event = '$autocapture') AS autocaptures, "
            "NOT (pageviews > 1 OR autocaptures > 0 OR duration >= 10) AS bounce "
            f"FROM {EV} WHERE team_id = 1 AND `$session_id` != '' "
            f"AND timestamp >= {_stamp(self.first - timedelta(days=1))} "
            f"AND timestamp <= {_stamp(self.end)} GROUP BY sid "
            f"HAVING start >= {_stamp(self.first)}"
        )

    def page_views(self, value: str) -> str:
        """Each page view that counts: its session, person, value and period."""
        flag = self.prop("$virt_is_bot", "e")
        not_bot = f"(position(e.properties, 'virt_is_bot') = 0 OR {flag} != 'true')"
        return (
            f"SELECT e.person_idx AS person, {value} AS value, s.*, "
            f"e.timestamp >= {_stamp(self.current)} AS in_current "
            f"FROM {EV} AS e INNER JOIN ({self.sessions()}) AS s ON e.`$session_id` = s.sid "
            f"WHERE e.team_id = 1 AND e.event = '$pageview' AND {not_bot} "
            f"AND e.timestamp >= {_stamp(self.first)} AND e.timestamp <= {_stamp(self.end)} "
            f"AND (e.timestamp >= {_stamp(self.current)}) = (s.start >= {_stamp(self.current)})"
        )

    def overview(self) -> str:
        per_session = (
            "SELECT sid, in_current, groupUniqArray(person) AS persons, count() AS views, "
            f"any(duration) AS duration, any(bounce) AS bounce FROM ({self.page_views('1')}) "
            "GROUP BY sid, in_current"
        )
        return (
            "SELECT uniqExactArrayIf(persons, in_current), sumIf(views, in_current), "
            "countIf(in_current), avgIf(duration, in_current), avgIf(bounce, in_current), "
            "uniqExactArrayIf(persons, NOT in_current), sumIf(views, NOT in_current), "
            "countIf(NOT in_current), avgIf(duration, NOT in_current), "
            f"avgIf(bounce, NOT in_current) FROM ({per_session})"
        )

    def table(self, breakdown: str) -> str:
        source, key = BREAKDOWNS[breakdown]
        value = f"nullIf({self.prop(key, 'e')}, '')" if source == "event" else f"s.`{key}`"
        if breakdown == "InitialChannelType":
            value = "s.`$entry_referring_domain`"  # the hand SQL skips the channel rules
        keep = "" if breakdown.startswith("InitialUTM") else "WHERE value IS NOT NULL "
        return (
            "SELECT value, uniqExactIf(person, in_current) AS visitors, "
            "countIf(in_current) AS views, uniqExactIf(person, NOT in_current), "
            "countIf(NOT in_current), "
            "uniqExactIf(sid, in_current AND bounce) / uniqExactIf(sid, in_current) "
            f"FROM ({self.page_views(value)}) {keep}GROUP BY value "
            "ORDER BY visitors DESC, views DESC, value ASC LIMIT 11"
        )


Case = tuple[str, Callable[[], Any], str, Callable[[Any], list[Any]], Callable[[Any], list[Any]]]


def cases(env: QueryEnv, hand: HandSql) -> list[Case]:
    date_range = {
        "date_from": hand.current.date().isoformat(),
        "date_to": hand.end.date().isoformat(),
    }
    overview = {"kind": "WebOverviewQuery", "dateRange": date_range}
    found: list[Case] = [
        (
            "WebOverviewQuery",
            lambda: run_web_overview_query(env, overview),
            hand.overview(),
            lambda answer: [item["value"] for item in answer["results"][:3]],
            lambda rows: [int(v) for v in rows[0][:3]],
        )
    ]
    for breakdown in BREAKDOWNS:
        query = {
            "kind": "WebStatsTableQuery",
            "breakdownBy": breakdown,
            "dateRange": date_range,
            "compareFilter": {"compare": True},
            "includeBounceRate": True,
        }
        found.append(
            (
                breakdown,
                lambda q=query: run_web_stats_table_query(env, q),  # type: ignore[misc]
                hand.table(breakdown),
                lambda answer: [[r[0], r[1][0], r[2][0]] for r in answer["results"]],
                lambda rows: [[r[0], int(r[1]), int(r[2])] for r in rows[:10]],
            )
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench/data/analytics-10000000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    meta = json.loads((args.data_dir / "bench-analytics.json").read_text())
    load_before = load_average()
    store = ChdbEventStore(args.data_dir / "events.chdb")
    built = wait_for_mutations(store)
    env = QueryEnv(store, 1, "UTC")
    anchor = datetime.fromisoformat(meta["anchor"])
    hand = HandSql(store.materialized_columns(), anchor)
    events = int(store.query(f"SELECT count() FROM {EV}").rows[0][0])
    sessions = int(store.query(f"SELECT uniqExact(session_id) FROM {DATABASE}.sessions").rows[0][0])
    rows: list[list[Any]] = []
    data: dict[str, Any] = {"events": events, "sessions": sessions, "cases": []}
    data["projection_wait_s"] = built
    for name, ours_run, sql, ours_cells, hand_cells in cases(env, hand):
        if args.only not in name:
            continue
        ours_once, hand_once = ours_cells(ours_run()), hand_cells(store.query(sql).rows)
        comparable = name != "InitialChannelType"  # the hand SQL has no channel rules
        same = ours_once == hand_once if comparable else None
        ours, hand_ms = [], []
        for _ in range(args.runs):
            ours.append(timed(ours_run))
            hand_ms.append(timed(lambda s=sql: store.query(s)))  # type: ignore[misc]
        o50, h50 = percentile(ours, 50), percentile(hand_ms, 50)
        o95, h95 = percentile(ours, 95), percentile(hand_ms, 95)
        answers = {True: "same", False: "DIFFERENT", None: "not compared"}[same]
        rows.append(
            [
                name,
                f"{o50:.0f} / {o95:.0f}",
                f"{h50:.0f} / {h95:.0f}",
                f"{o50 / h50:.2f}",
                f"{len(ours_once)} rows, {answers}",
                "yes" if o50 < 300 else "no",
            ]
        )
        data["cases"].append({"name": name, "ours_ms": ours, "hand_ms": hand_ms, "same": same})
        print(rows[-1], flush=True)
    page = sum(percentile(c["ours_ms"], 50) for c in data["cases"])
    table = md_table(
        [
            "query",
            "Hedgerow p50 / p95 ms",
            "hand SQL p50 / p95 ms",
            "ratio (p50)",
            "answers",
            "under 300 ms",
        ],
        rows,
    )
    data["load_average"] = {"before": load_before, "after": load_average()}
    notes = [
        f"{events:,} events, {sessions:,} sessions (`bench/analytics.py` data, anchor "
        f"{anchor.date()}), the last {DAYS} days and the {DAYS} before; runner in-process (no "
        f"HTTP), {args.runs} runs each after a warm-up, alternating; load average (1/5/15 "
        f"min) before {load_before}, after {load_average()} on {os.cpu_count()} cores.",
        table,
        f"Sum of the p50s (every query of the page one after another): {page:.0f} ms.",
    ]
    report("web_analytics", "Web analytics (issue 19)", notes, data)
    store.close()


if __name__ == "__main__":
    main()
