"""Every query of the `/web` screen on 10M events, each beside hand-written ClickHouse SQL
over the raw events doing the same work, in one run; the whole page as the browser loads it;
and the pre-aggregate's build time.

The data: `--generate N` makes a web dataset of N events in --data-dir (`bench/web_generate.py`:
sessions with paths, hosts, referrers, UTM values, devices and places over the 90 days
before now, so today is a partial day), or an existing `bench/analytics.py` directory is
read (it lacks paths, referrers, UTM values and places). Opening a directory writes to it:
point --data-dir at your own copy.

    .venv/bin/python bench/web_analytics.py --data-dir /tmp/web-10m --generate 10000000

A store from before the bot flag's column gets it first, as the server's start would
(`add_materialized_columns`), and the background mutation that fills it is waited for
(timed). Then the pre-aggregate is built as the chore would at the dataset's moment (when
it was `made`): every complete day, and the dataset's last day as a provisional day (timed);
then one complete day is built again (what a late event costs) and the provisional day
again (what the chore pays each interval while events come). Cases: the tiles
(WebOverviewQuery), every table (WebStatsTableQuery, each breakdownBy, `limit` 10, bounce
rate where it applies), the tiles with a host filter and the visitors-over-time chart
(TrendsQuery, daily unique persons of page views, bots left out), over the last 7 days (the
provisional day among them) with the 7 before to compare. For each: Hedgerow's runner (SQL
built, run, answer shaped; no HTTP) reading the pre-aggregate, the hand SQL, and the
runner's raw path (pre-aggregate not read), alternating, one warm-up then --runs runs each;
p50 and p95 (nearest rank) and the ratio of the p50s. The hand SQL makes each session's
start and values from the raw events of its window (sessions are taken to last under a
day) instead of the sessions table, then counts the page views; the answers' current
visitors and views are compared row by row. Last, the whole page (`web_page.py`: the
requests of its default state, three in flight), --runs times each way, alternating.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common import ROOT, md_table, percentile, report
from hedgerow.query import trends_series, web_overview, web_stats_table
from hedgerow.query.core import QueryEnv
from hedgerow.query.trends import run_trends_query
from hedgerow.query.web_overview import run_web_overview_query
from hedgerow.query.web_scope import BREAKDOWNS
from hedgerow.query.web_stats_table import run_web_stats_table_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import (
    DATABASE,
    DEFAULT_MATERIALIZED,
    quote_string,
    text_form_expression,
)
from hedgerow.store.web_daily_schema import forget_days
from hedgerow.web_analytics import daily_chore
from hedgerow.web_analytics.daily_chore import WebDailyBuilder
from insights import load_average, timed, wait_for_mutations
from web_generate import generate
from web_page import page_ms, page_requests

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

    def not_bot(self, table: str = "") -> str:
        """Not a bot's page view: the flag's column, else a substring test before the JSON."""
        flag = self.prop("$virt_is_bot", table)
        if "$virt_is_bot" in self.materialized:
            return f"{flag} != 'true'"
        prefix = f"{table}." if table else ""
        return f"(position({prefix}properties, 'virt_is_bot') = 0 OR {flag} != 'true')"

    def page_views(self, value: str, host: str | None = None) -> str:
        """Each page view that counts: its session, person, value and period."""
        not_bot = self.not_bot("e")
        if host is not None:
            not_bot += f" AND {self.prop('$host', 'e')} = {quote_string(host)}"
        return (
            f"SELECT e.person_idx AS person, {value} AS value, s.*, "
            f"e.timestamp >= {_stamp(self.current)} AS in_current "
            f"FROM {EV} AS e INNER JOIN ({self.sessions()}) AS s ON e.`$session_id` = s.sid "
            f"WHERE e.team_id = 1 AND e.event = '$pageview' AND {not_bot} "
            f"AND e.timestamp >= {_stamp(self.first)} AND e.timestamp <= {_stamp(self.end)} "
            f"AND (e.timestamp >= {_stamp(self.current)}) = (s.start >= {_stamp(self.current)})"
        )

    def overview(self, host: str | None = None) -> str:
        per_session = (
            "SELECT sid, in_current, groupUniqArray(person) AS persons, count() AS views, "
            "any(duration) AS duration, any(bounce) AS bounce "
            f"FROM ({self.page_views('1', host)}) "
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

    def trend(self) -> str:
        """Daily unique persons of page views (bots left out), both periods."""
        return (
            "SELECT toDate(timestamp) AS day, uniqExact(person_idx) FROM "
            f"{EV} WHERE team_id = 1 AND event = '$pageview' AND {self.not_bot()} "
            f"AND timestamp >= {_stamp(self.first)} AND timestamp <= {_stamp(self.end)} "
            "GROUP BY day ORDER BY day"
        )


Case = tuple[str, Callable[[], Any], str, Callable[[Any], list[Any]], Callable[[Any], list[Any]]]


def cases(env: QueryEnv, hand: HandSql, host: str) -> list[Case]:
    date_range = {
        "date_from": hand.current.date().isoformat(),
        "date_to": hand.end.date().isoformat(),
    }
    overview = {"kind": "WebOverviewQuery", "dateRange": date_range}
    on_host = {
        **overview,
        "properties": [{"type": "event", "key": "$host", "operator": "exact", "value": host}],
    }
    trend = {
        "kind": "TrendsQuery",
        "series": [{"kind": "EventsNode", "event": "$pageview", "math": "dau"}],
        "interval": "day",
        "dateRange": date_range,
        "properties": [
            {"type": "event", "key": "$virt_is_bot", "operator": "is_not", "value": "true"}
        ],
        "compareFilter": {"compare": True},
    }
    found: list[Case] = [
        (
            "WebOverviewQuery",
            lambda: run_web_overview_query(env, overview),
            hand.overview(),
            lambda answer: [item["value"] for item in answer["results"][:3]],
            lambda rows: [int(v) for v in rows[0][:3]],
        ),
        (
            f"WebOverviewQuery, $host = {host}",
            lambda: run_web_overview_query(env, on_host),
            hand.overview(host),
            lambda answer: [item["value"] for item in answer["results"][:3]],
            lambda rows: [int(v) for v in rows[0][:3]],
        ),
        (
            "Visitors over time (TrendsQuery)",
            lambda: run_trends_query(env, trend),
            hand.trend(),
            lambda answer: sorted(v for series in answer["results"] for v in series["data"] if v),
            lambda rows: sorted(int(r[1]) for r in rows),
        ),
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


@contextlib.contextmanager
def raw_path() -> Iterator[None]:
    """The web runners with the pre-aggregate left unread (what they did before it)."""
    saved = web_overview.from_days, web_stats_table.from_days, trends_series.daily_visitors
    web_overview.from_days = web_stats_table.from_days = lambda scope, answer: None
    trends_series.daily_visitors = lambda env, node, filters, tr: None
    try:
        yield
    finally:
        web_overview.from_days, web_stats_table.from_days, trends_series.daily_visitors = saved


def build(store: ChdbEventStore, data: dict[str, Any], made: datetime) -> None:
    """Build the pre-aggregate as the chore would when the data was `made`: every complete
    day and that day as a provisional one; then one complete day again (a late event), and
    the provisional day again (events came)."""
    builder = WebDailyBuilder(store, 1, "UTC")
    began = time.perf_counter()
    days = builder.build(made)
    data["build_days"], data["build_s"] = days, time.perf_counter() - began
    for name, day in (
        ("rebuild_one_day_s", (made - timedelta(days=2)).date()),
        ("rebuild_provisional_day_s", made.date()),
    ):
        began = time.perf_counter()
        forget_days(store.run, 1, day, day)
        builder.build(made)
        data[name] = time.perf_counter() - began
    # What the chore does ten minutes later: the builds replaced (an earlier rows format's,
    # the day built again) leave the listing with their rows.
    kept, daily_chore.FORMER_BUILDS_KEPT = daily_chore.FORMER_BUILDS_KEPT, timedelta(0)
    try:
        builder.drop_former_builds()
    finally:
        daily_chore.FORMER_BUILDS_KEPT = kept
    print(
        f"pre-aggregate: {days} days in {data['build_s']:.1f} s, one day again in "
        f"{data['rebuild_one_day_s']:.2f} s, the provisional day again in "
        f"{data['rebuild_provisional_day_s']:.2f} s",
        flush=True,
    )


def _measure(
    store: ChdbEventStore, case: Case, runs: int
) -> tuple[list[Any], bool | None, list[float], list[float], list[float]]:
    name, ours_run, sql, ours_cells, hand_cells = case
    ours_once, hand_once = ours_cells(ours_run()), hand_cells(store.query(sql).rows)
    with raw_path():
        raw_once = ours_cells(ours_run())
    comparable = name != "InitialChannelType"  # the hand SQL has no channel rules
    same = ours_once == hand_once == raw_once if comparable else ours_once == raw_once
    ours: list[float] = []
    hand_ms: list[float] = []
    raw: list[float] = []
    for _ in range(runs):
        ours.append(timed(ours_run))
        hand_ms.append(timed(lambda s=sql: store.query(s)))  # type: ignore[misc]
        with raw_path():
            raw.append(timed(ours_run))
    return ours_once, same if comparable else None, ours, hand_ms, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench/data/web-10000000")
    parser.add_argument("--generate", type=int, default=0, help="make N events if none")
    parser.add_argument("--persons", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    data: dict[str, Any] = {"cases": []}
    meta_path = args.data_dir / "bench-web.json"
    if args.generate and not meta_path.exists():
        data["generated"] = generate(args.data_dir, args.generate, args.persons)
    if not meta_path.exists():
        meta_path = args.data_dir / "bench-analytics.json"
    meta = json.loads(meta_path.read_text())
    data["dataset"] = meta
    load_before = load_average()
    store = ChdbEventStore(args.data_dir / "events.chdb")
    data["columns_added"] = store.add_materialized_columns(DEFAULT_MATERIALIZED)
    data["mutations_wait_s"] = wait_for_mutations(store, timeout=3600)
    print(f"columns added: {data['columns_added']}, mutations {data['mutations_wait_s']:.0f} s")
    anchor = datetime.fromisoformat(meta["anchor"])
    build(store, data, datetime.fromisoformat(meta.get("made", meta["anchor"])))
    env = QueryEnv(store, 1, "UTC")
    hand = HandSql(store.materialized_columns(), anchor)
    events = int(store.query(f"SELECT count() FROM {EV}").rows[0][0])
    sessions = int(store.query(f"SELECT uniqExact(session_id) FROM {DATABASE}.sessions").rows[0][0])
    data.update(events=events, sessions=sessions)
    host = "shop.example.com"
    rows: list[list[Any]] = []
    for case in cases(env, hand, host):
        name = case[0]
        if args.only not in name:
            continue
        once, same, ours, hand_ms, raw = _measure(store, case, args.runs)
        o50, h50, r50 = (percentile(v, 50) for v in (ours, hand_ms, raw))
        o95, h95, r95 = (percentile(v, 95) for v in (ours, hand_ms, raw))
        answers = {True: "same", False: "DIFFERENT", None: "same as raw path"}[same]
        rows.append(
            [
                name,
                f"{o50:.0f} / {o95:.0f}",
                f"{h50:.0f} / {h95:.0f}",
                f"{o50 / h50:.2f}",
                f"{r50:.0f} / {r95:.0f}",
                f"{len(once)} rows, {answers}",
                "yes" if o50 < 300 else "no",
            ]
        )
        data["cases"].append(
            {"name": name, "ours_ms": ours, "hand_ms": hand_ms, "raw_ms": raw, "same": same}
        )
        print(rows[-1], flush=True)
    page = sum(percentile(c["ours_ms"], 50) for c in data["cases"])
    hand_page = sum(percentile(c["hand_ms"], 50) for c in data["cases"])
    date_range = {
        "date_from": hand.current.date().isoformat(),
        "date_to": hand.end.date().isoformat(),
    }
    requests = page_requests(env, date_range)
    page_ms(requests)  # warm-up
    whole: dict[str, list[float]] = {"pre-aggregate": [], "raw path": []}
    for _ in range(args.runs):
        whole["pre-aggregate"].append(page_ms(requests))
        with raw_path():
            whole["raw path"].append(page_ms(requests))
    data["page_ms"] = whole
    page_rows = [
        [way, f"{percentile(ms, 50):.0f} / {percentile(ms, 95):.0f}", len(requests)]
        for way, ms in whole.items()
    ]
    print(page_rows, flush=True)
    table = md_table(
        [
            "query",
            "Hedgerow p50 / p95 ms",
            "hand SQL p50 / p95 ms",
            "ratio (p50)",
            "raw path p50 / p95 ms",
            "answers",
            "under 300 ms",
        ],
        rows,
    )
    data["load_average"] = {"before": load_before, "after": load_average()}
    notes = [
        f"{events:,} events, {sessions:,} sessions, the last {DAYS} days (up to "
        f"{(anchor - timedelta(days=1)).date()}, today) and the {DAYS} before; pre-aggregate "
        f"built for {data['build_days']} days in {data['build_s']:.1f} s, one day again in "
        f"{data['rebuild_one_day_s']:.2f} s, the provisional day again in "
        f"{data['rebuild_provisional_day_s']:.2f} s; columns added {data['columns_added']} "
        f"(mutations waited {data['mutations_wait_s']:.0f} s); runner in-process (no HTTP), "
        f"{args.runs} runs "
        f"each after a warm-up, alternating; load average (1/5/15 min) before {load_before}, "
        f"after {load_average()} on {os.cpu_count()} cores.",
        table,
        f"Sum of the p50s (every query of the page one after another): {page:.0f} ms "
        f"(hand SQL: {hand_page:.0f} ms).",
        "The whole page as it loads (`web_page.py`: its requests three in flight, from the "
        "first request to the last answer):",
        md_table(["way", "page p50 / p95 ms", "requests"], page_rows),
    ]
    report("web_analytics", "Web analytics (issue 19)", notes, data)
    store.close()


if __name__ == "__main__":
    main()
