"""The /events page over ten million stored events: each page it asks for, beside
hand-written ClickHouse SQL fetching the same 100 rows.

Data: bench/analytics.py's generator and loader (`ChdbEventStore.insert`, the call ingestion
makes, 100k-event Arrow batches; 100,000 persons, 90 days before the first load, realistic
properties), --events 10,000,000 into --data-dir (default /work/bench-data/events-<N>, kept
and reused: loading resumes at the first chunk not written; the seconds it took are kept in
bench-analytics.json and reported). The directory is a server data directory.

Asked, as frontend/src/screens/events/useEventList.ts asks it: the EventsQuery of
lib/eventsFilters.ts (`select` *, person email and name; `orderBy` timestamp DESC; `limit`
100) for the first page, then --pages older pages, each with `before` one microsecond after
the previous page's last timestamp (eventRows.ts `nextCursor`). Three cases: no filter, an
event name, and an event property filter. Timed, for every page of --runs sequences:
  1. in one process, in turn: Hedgerow's EventsQuery (SQL built from the typed query, run
     on chDB, answer shaped; no HTTP) and two hand-written statements with the same columns
     and conditions: ordered by `toDate(timestamp) DESC, timestamp DESC` (the sorting key's
     order: ClickHouse reads the newest day's granules first and stops; with
     read_in_order_use_buffering = 0, without which it reads ahead through most of the
     table), the reference of the target; and a plain `ORDER BY timestamp DESC` top-N
     (every row's time is read, the other columns only for the 101 winners: ClickHouse's
     lazy materialization). The three answers' uuids are compared.
  2. the real server on the same data directory (`python -m hedgerow serve`): the same
     requests to POST /api/projects/1/query/ (API key), time from sending to the parsed
     answer.
Each query's rows read (chDB's statistics) are reported too. The target (issue 15): first
page under 300 ms and within 1.5x of the hand-written SQL.

Run: `python bench/webapp_events.py` (10M events: the first run loads them, tens of
minutes); a small check: `python bench/webapp_events.py --events 100000 --runs 3`.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from analytics import MATERIALIZED, load
from common import API_KEY, Server, md_table, percentile, report
from hedgerow.query.events_query import run_events_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import EVENT_STAR_COLUMNS, EVENTS_TABLE

SELECT = ["*", "person.properties.email", "person.properties.name"]
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("no filter", {}, ""),
    ("event = signed_up", {"event": "signed_up"}, "event = 'signed_up'"),
    (
        "property $browser = Firefox",
        {"properties": [{"key": "$browser", "value": "Firefox", "operator": "exact"}]},
        "`mat_$browser` = 'Firefox'",
    ),
]
STAR_SQL = {
    "uuid": "toString(uuid)",
    "person_id": "toString(person_id)",
}


def page_query(filters: dict[str, Any], before: str | None) -> dict[str, Any]:
    """The EventsQuery of lib/eventsFilters.ts `eventsQueryFromFilters`."""
    query = {"kind": "EventsQuery", "select": SELECT, "orderBy": ["timestamp DESC"], "limit": 100}
    query.update(filters)
    if before:
        query["before"] = before
    return query


# Reading in key order stops once the newest day has given its rows, but only without the
# read-ahead buffer of each part's stream (with it, ClickHouse 26.9 reads most of the table
# before the merge of the streams asks no more).
KEY_ORDER_SETTINGS = {"read_in_order_use_buffering": 0}


def hand_sql(condition: str, before: str | None, key_order: bool) -> str:
    """The same rows by hand: in the sorting key's order (`key_order`), or a plain top-N by
    time (ClickHouse then reads every time and only the winners' other columns)."""
    star = ", ".join(STAR_SQL.get(c, c) for c in EVENT_STAR_COLUMNS)
    where = ["team_id = 1"] + ([condition] if condition else [])
    if before:
        moment = before.replace("T", " ").rstrip("Z")
        where.append(f"timestamp < toDateTime64('{moment}', 6, 'UTC')")
    order = "toDate(timestamp) DESC, timestamp DESC" if key_order else "timestamp DESC"
    return (
        f"SELECT tuple({star}), JSONExtractRaw(person_properties, 'email'), "
        f"JSONExtractRaw(person_properties, 'name') FROM {EVENTS_TABLE} "
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT 101"
    )


def next_cursor(last_timestamp: str) -> str:
    """eventRows.ts `nextCursor`: one microsecond after the last row's time."""
    moment = datetime.strptime(last_timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return (moment + timedelta(microseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def statistics(
    store: ChdbEventStore, sql: str, params: dict[str, Any], settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """chDB's statistics of one statement (rows and bytes read). Uses the store's private
    runner: the public one keeps only the rows."""
    if settings:
        sql += " SETTINGS " + ", ".join(f"{k} = {v}" for k, v in settings.items())
    raw = store._execute(sql, params, "JSONCompact").bytes()
    return dict(orjson.loads(raw)["statistics"])


class RecordingStore:
    """The event store, noting the statements a query runs (to read their statistics)."""

    def __init__(self, store: ChdbEventStore) -> None:
        self.store = store
        self.statements: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def query(self, sql: str, params: Any = None, settings: Any = None) -> Any:
        self.statements.append((sql, dict(params or {}), dict(settings or {})))
        return self.store.query(sql, params, settings=settings)


def ms_since(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def in_process(store: ChdbEventStore, runs: int, pages: int) -> list[dict[str, Any]]:
    """Per case: each page's times (Hedgerow's runner, hand SQL), rows read, same rows."""
    results = []
    for name, filters, condition in CASES:
        case: dict[str, Any] = {
            "name": name,
            "ours_ms": [],
            "hand_ms": [],
            "topn_ms": [],
            "pages": [],
        }
        for run in range(runs + 1):  # the first sequence warms up and checks
            before: str | None = None
            for page in range(pages + 1):
                query = page_query(filters, before)
                sql = hand_sql(condition, before, key_order=True)
                topn_sql = hand_sql(condition, before, key_order=False)
                began = time.perf_counter()
                ours = run_events_query(store, 1, query)
                ours_ms = ms_since(began)
                began = time.perf_counter()
                hand = store.query(sql, settings=KEY_ORDER_SETTINGS).rows
                hand_ms = ms_since(began)
                began = time.perf_counter()
                topn = store.query(topn_sql).rows
                topn_ms = ms_since(began)
                if run == 0:
                    recording = RecordingStore(store)
                    run_events_query(recording, 1, query)  # type: ignore[arg-type]
                    compiled, params, settings = recording.statements[-1]
                    case["pages"].append(
                        {
                            "before": before,
                            "same_rows": {r[0]["uuid"] for r in ours["results"]}
                            == {r[0][0] for r in hand[:100]}
                            == {r[0][0] for r in topn[:100]},
                            "ours_read": statistics(store, compiled, params, settings),
                            "settings": settings,
                            "hand_read": statistics(store, sql, {}, KEY_ORDER_SETTINGS),
                            "topn_read": statistics(store, topn_sql, {}),
                            "compiled_sql": compiled,
                        }
                    )
                else:
                    case["ours_ms"].append((page, ours_ms))
                    case["hand_ms"].append((page, hand_ms))
                    case["topn_ms"].append((page, topn_ms))
                if not ours["hasMore"]:
                    break
                before = next_cursor(ours["results"][-1][0]["timestamp"])
        results.append(case)
        print(name, "in process done", flush=True)
    return results


def over_http(url: str, runs: int, pages: int) -> list[list[tuple[int, float]]]:
    """Per case: (page, ms) of each request to the real server's query API."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    timings: list[list[tuple[int, float]]] = []
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for _name, filters, _condition in CASES:
            case = []
            for run in range(runs + 1):
                before = None
                for page in range(pages + 1):
                    body = orjson.dumps({"query": page_query(filters, before)})
                    began = time.perf_counter()
                    response = client.post(
                        "/api/projects/1/query/",
                        content=body,
                        headers={"Content-Type": "application/json"},
                    )
                    response.raise_for_status()
                    answer = orjson.loads(response.content)
                    elapsed = ms_since(began)
                    if run > 0:
                        case.append((page, elapsed))
                    if not answer["hasMore"]:
                        break
                    before = next_cursor(answer["results"][-1][0]["timestamp"])
            timings.append(case)
    return timings


def p50_p95(samples: list[tuple[int, float]], first: bool) -> tuple[float, float]:
    values = [ms for page, ms in samples if (page == 0) == first]
    return percentile(values, 50), percentile(values, 95)


def rows_for(cases: list[dict[str, Any]], http: list[list[tuple[int, float]]]) -> list[list[Any]]:
    rows = []
    for case, http_case in zip(cases, http, strict=True):
        for first in (True, False):
            if not any((page == 0) == first for page, _ in case["ours_ms"]):
                continue
            h = p50_p95(http_case, first)
            o = p50_p95(case["ours_ms"], first)
            d = p50_p95(case["hand_ms"], first)
            t = p50_p95(case["topn_ms"], first)
            info = case["pages"][0 if first else -1]
            rows.append(
                [
                    case["name"],
                    "first" if first else "older",
                    f"{h[0]:.0f} / {h[1]:.0f}",
                    f"{o[0]:.0f} / {o[1]:.0f}",
                    f"{d[0]:.0f} / {d[1]:.0f}",
                    f"{t[0]:.0f} / {t[1]:.0f}",
                    f"{h[0] / d[0]:.2f}",
                    f"{o[0] / d[0]:.2f}",
                    f"{o[0] / t[0]:.2f}",
                    " / ".join(
                        f"{int(info[k]['rows_read']):,}"
                        for k in ("ours_read", "hand_read", "topn_read")
                    ),
                    "yes" if all(p["same_rows"] for p in case["pages"]) else "NO",
                ]
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10, help="page sequences per case")
    parser.add_argument("--pages", type=int, default=5, help="older pages after the first")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--load-only", action="store_true")
    args = parser.parse_args()
    data_dir = args.data_dir or Path("/work/bench-data") / f"events-{args.events}"
    data_dir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    store = ChdbEventStore(data_dir / "events.chdb")
    for key in MATERIALIZED:  # as bench/analytics.py does: the same directory serves both
        store.materialize(key)
    meta = load(store, data_dir, args.events, args.chunk, args.persons)
    if args.load_only:
        return
    cases = in_process(store, args.runs, args.pages)
    store.close()
    with Server(data_dir) as server:
        http = over_http(server.url, args.runs, args.pages)
    load_after = os.getloadavg()
    table = md_table(
        [
            "case",
            "page",
            "HTTP ms p50 / p95",
            "Hedgerow in-process ms",
            "hand SQL, key order ms",
            "hand SQL, top-N ms",
            "HTTP / key order (p50)",
            "in-process / key order",
            "in-process / top-N",
            "rows read (Hedgerow / key order / top-N)",
            "same rows",
        ],
        rows_for(cases, http),
    )
    load_line = (
        f"{args.events:,} events, {args.persons:,} persons in {data_dir}, loaded through "
        f"`ChdbEventStore.insert` in {meta['seconds']:.0f} s "
        f"({args.events / max(meta['seconds'], 1e-9):,.0f} events/s), OPTIMIZE FINAL "
        f"{meta.get('optimize_seconds', 0):.0f} s. {args.runs} sequences of a first page and "
        f"{args.pages} older pages per case after one warm-up sequence. Load average before "
        f"{load_before[0]:.1f}, after {load_after[0]:.1f}."
    )
    sql_lines = [
        f"Compiled SQL ({case['name']}, an older page): `{case['pages'][-1]['compiled_sql']}`"
        f" with settings {case['pages'][-1]['settings'] or 'none'}"
        for case in cases
    ]
    report(
        "webapp_events",
        "/events over stored events (bench/webapp_events.py)",
        [load_line, table, *sql_lines],
        {
            "events": args.events,
            "load": meta,
            "cases": cases,
            "http_ms": http,
            "loadavg": [load_before, load_after],
        },
    )


if __name__ == "__main__":
    main()
