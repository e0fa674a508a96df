"""A dashboard of 8 tiles in Chromium: time until every tile's chart is drawn, cold and from cache.

Data: --events generated events (bench/common.py's EventFactory: power-law persons, 30 event
names) with timestamps spread evenly over the last 30 days, sent through /batch/ into the real
server; or, with --data-dir, a copy of a loaded data directory (such as the 10M dataset of
bench/analytics.py; it is copied to a temporary directory first, never written).
The dashboard: the project's "Product analytics" dashboard (unique users, page views, top
events, sign-up funnel, weekly retention, growth accounting) with a stickiness and a paths
insight added: 8 insight tiles, the kinds of the issue.

Cold, --cold-runs times: the server is started afresh on the data (its result cache empty), a
browser context signs in through /login, its HTTP cache is emptied, and /dashboard/<id> is
opened; the time is from navigation start to the first frame at which all 8 tiles hold a
drawn chart (a canvas or a table) and none is loading. From cache, --runs times: the same
page reloaded (the server's result cache and the browser's cache of the app's files warm).
Reference, in the same run: the time to the first byte of a page, plus the 8 tile queries
sent from Python (httpx, 3 at a time as the app sends them, `refresh: "blocking"`): for a
cold load on another server just started on the same data (nothing cached, as the cold page
found it), for a reload right after it on the same server (answered from the cache).

Run: `python bench/webapp_dashboard.py [--events 200000] [--runs 10] [--cold-runs 3]`;
`--quick`: 50,000 events, 2 cold and 3 warm runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from playwright.async_api import Browser, Page, async_playwright

from browser_app import app_server, launch, sign_in
from common import API_KEY, TOKEN, EventFactory, Server, md_table, percentile, report

PROJECT = "/api/projects/1"
TILES = 8
CONCURRENCY = 3  # as the app: frontend/src/screens/dashboard/tileResults.ts
EXTRA_INSIGHTS = [
    (
        "Stickiness",
        {
            "kind": "StickinessQuery",
            "series": [{"kind": "EventsNode", "event": "$pageview"}],
            "interval": "day",
            "dateRange": {"date_from": "-30d"},
        },
    ),
    (
        "Paths",
        {
            "kind": "PathsQuery",
            "pathsFilter": {"includeEventTypes": ["$pageview"], "stepLimit": 5},
            "dateRange": {"date_from": "-30d"},
        },
    ),
]

# The first frame at which every tile has its chart and none is loading (performance.now():
# ms since navigation start). An init script: the page's CSP forbids inline scripts.
ALL_DRAWN_PROBE = """(() => {
  const tick = () => {
    const tiles = document.querySelectorAll("article.tile");
    const drawn = document.querySelectorAll(
      "article.tile .tile-chart:not(.fetching) :is(canvas, table, .bold-number)"
    );
    const charts = new Set([...drawn].map((node) => node.closest("article.tile")));
    const waiting = document.querySelector("article.tile .tile-state");
    if (tiles.length === TILES && charts.size === TILES && !waiting) {
      window.__allDrawn = performance.now();
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();""".replace("TILES", str(TILES))


def send_spread_events(server: Server, count: int, days: int = 30, batch: int = 1000) -> float:
    """`count` generated events, evenly spread over the last `days` days, stored; seconds."""
    began = time.monotonic()
    factory = EventFactory(seed=16)
    now = datetime.now(UTC)
    step = timedelta(days=days) / max(count, 1)
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for first in range(0, count, batch):
            events = []
            for index in range(first, min(first + batch, count)):
                when = now - step * (count - index)
                events.append(factory.capture_event(when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")))
            body = {"api_key": TOKEN, "batch": events, "sent_at": now.isoformat()}
            client.post("/batch/", content=orjson.dumps(body)).raise_for_status()
    drained, status = server.wait_drained(1800)
    if not drained:
        raise RuntimeError(f"events not stored within 30 minutes: {status}")
    return time.monotonic() - began


def api(server: Server) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=120
    )


def prepare_dashboard(server: Server) -> tuple[int, list[dict[str, Any]]]:
    """The Product analytics dashboard with two more insights: its id and its 8 queries."""
    with api(server) as client:
        boards = client.get(f"{PROJECT}/dashboards/").json()["results"]
        [board] = [b for b in boards if b["name"] == "Product analytics"]
        for name, query in EXTRA_INSIGHTS:
            client.post(
                f"{PROJECT}/insights/",
                json={"name": name, "query": query, "dashboards": [board["id"]]},
            ).raise_for_status()
        tiles = client.get(f"{PROJECT}/dashboards/{board['id']}/").json()["tiles"]
    queries = [tile["insight"]["query"] for tile in tiles if tile["insight"]]
    if len(queries) != TILES:
        raise RuntimeError(f"expected {TILES} insight tiles, found {len(queries)}")
    return int(board["id"]), queries


async def bare_queries(url: str, queries: list[dict[str, Any]], refresh: str) -> float:
    """The 8 tile queries from Python, CONCURRENCY at a time: milliseconds for all."""
    limit = asyncio.Semaphore(CONCURRENCY)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:

        async def one(query: dict[str, Any]) -> None:
            async with limit:
                answer = await client.post(
                    f"{PROJECT}/query/", json={"query": query, "refresh": refresh}
                )
                answer.raise_for_status()
                answer.json()

        began = time.perf_counter()
        await asyncio.gather(*(one(q) for q in queries))
        return (time.perf_counter() - began) * 1000


async def ttfb(url: str) -> float:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        began = time.perf_counter()
        async with client.stream("GET", "/login") as answer:
            async for _ in answer.aiter_raw():
                break
        return (time.perf_counter() - began) * 1000


async def all_drawn(page: Page, timeout: float = 120) -> float:
    """The probe's time, once set. Polled from here: the page's CSP refuses the string
    evaluation that Playwright's wait_for_function uses while it waits."""
    deadline = time.monotonic() + timeout
    while (drawn := await page.evaluate("window.__allDrawn")) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("the tiles were not all drawn within the timeout")
        await asyncio.sleep(0.02)
    return float(drawn)


async def load(browser: Browser, url: str, path: str, runs: int) -> list[float]:
    """One cold load (new context, empty cache) and then `runs` reloads: ms until all drawn."""
    context = await sign_in(browser, url)
    await context.add_init_script(ALL_DRAWN_PROBE)
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.clearBrowserCache")
    times = []
    try:
        for run in range(runs):
            if run == 0:
                await page.goto(path)
            else:
                await page.reload()
            times.append(await all_drawn(page))
    finally:
        await context.close()
    return times


async def measure_cold(browser: Browser, server: Server, path: str) -> float:
    [drawn] = await load(browser, server.url, path, 1)
    return drawn


async def reference_cold(server: Server, queries: list[Any]) -> dict[str, float]:
    """TTFB and the 8 queries on a server just started, as the cold page found it."""
    first_byte = await ttfb(server.url)
    return {"ttfb_ms": first_byte, "bare_ms": await bare_queries(server.url, queries, "blocking")}


async def measure_warm(
    browser: Browser, server: Server, path: str, queries: list[Any], runs: int
) -> list[dict[str, float]]:
    times = await load(browser, server.url, path, runs + 1)
    rows = []
    for drawn in times[1:]:  # the first load warms the page; the reloads are the runs
        rows.append(
            {
                "drawn_ms": drawn,
                "ttfb_ms": await ttfb(server.url),
                "bare_ms": await bare_queries(server.url, queries, "blocking"),
            }
        )
    return rows


async def run_browser(coroutine: Any) -> Any:
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            return await coroutine(browser)
        finally:
            await browser.close()


def summary_row(name: str, rows: list[dict[str, float]], target: float) -> list[Any]:
    def p(key: str, q: float) -> float:
        return percentile([r[key] for r in rows], q)

    reference = p("ttfb_ms", 50) + p("bare_ms", 50)
    return [
        name,
        len(rows),
        f"{p('drawn_ms', 50):.0f} / {p('drawn_ms', 95):.0f}",
        f"{p('ttfb_ms', 50):.1f}",
        f"{p('bare_ms', 50):.0f} / {p('bare_ms', 95):.0f}",
        f"{p('drawn_ms', 50) / reference:.1f}x",
        f"{target:.0f} ms: {'met' if p('drawn_ms', 50) < target else 'missed'}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="generated events")
    parser.add_argument("--data-dir", type=Path, help="a loaded data directory (copied first)")
    parser.add_argument("--runs", type=int, default=10, help="loads from cache")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold loads (server restarted)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.events, args.runs, args.cold_runs = 50_000, 3, 2
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hedgerow-bench-dashboard-") as tmp:
        data_dir = Path(tmp) / "data"
        if args.data_dir:
            shutil.copytree(args.data_dir, data_dir, symlinks=True)  # chDB links are relative
            source = f"a copy of {args.data_dir}"
            load_seconds = 0.0
            with app_server(data_dir) as server:
                board, queries = prepare_dashboard(server)
                with api(server) as client:
                    events = client.get(f"{PROJECT}/ingestion/").json()
        else:
            with app_server(data_dir) as server:
                load_seconds = send_spread_events(server, args.events)
                board, queries = prepare_dashboard(server)
            source = f"{args.events:,} generated events over the last 30 days"
            events = {"sent": args.events}
        path = f"/dashboard/{board}"
        cold: list[dict[str, float]] = []
        for _ in range(args.cold_runs):
            # The page and the reference each on a server just started (an empty result
            # cache, and a store that has not answered anything yet).
            with app_server(data_dir) as server:

                async def cold_run(browser: Browser, s: Server = server) -> float:
                    return await measure_cold(browser, s, path)

                drawn = asyncio.run(run_browser(cold_run))
            with app_server(data_dir) as server:
                cold.append({"drawn_ms": drawn, **asyncio.run(reference_cold(server, queries))})
        with app_server(data_dir) as server:

            async def warm_run(browser: Browser, s: Server = server) -> list[dict[str, float]]:
                return await measure_warm(browser, s, path, queries, args.runs)

            warm = asyncio.run(run_browser(warm_run))
    load_after = os.getloadavg()

    table = md_table(
        [
            "load",
            "runs",
            "all 8 tiles drawn ms (p50 / p95)",
            "TTFB ms",
            "8 bare queries ms, 3 at a time (p50 / p95)",
            "drawn / (TTFB + queries), p50",
            "target",
        ],
        [
            summary_row("cold (server just started, empty browser cache)", cold, 3000),
            summary_row("from cache (reload)", warm, 500),
        ],
    )
    notes = [
        f"Data: {source}. Dashboard: 8 insight tiles (trends dau and total, top events, "
        "sign-up funnel, weekly retention, weekly lifecycle, daily stickiness, page-view paths). "
        "Bare queries: on a server of their own just started for cold loads; from the cache "
        "after each reload. "
        f"Load average before {load_before[0]:.1f}, after {load_after[0]:.1f}"
        + (
            " (a busy machine: the numbers are slower than on a quiet one)."
            if load_before[0] >= 2
            else "."
        )
    ]
    report(
        "webapp_dashboard",
        "Dashboards (issue 16, bench/webapp_dashboard.py)",
        [table, *notes],
        {
            "cold": cold,
            "warm": warm,
            "events": events,
            "load_seconds": load_seconds,
            "loadavg": [load_before, load_after],
        },
    )


if __name__ == "__main__":
    main()
