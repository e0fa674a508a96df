"""The web app's first load: bytes of JavaScript and CSS, and time to the first event list.

Sizes: every .js and .css file of the built app (src/hedgerow/web/app/assets/, `make
frontend`), raw and gzipped as the server sends them (gzip -9, computed once per file), and
what the browser actually fetched for the first load of /events (the resource timing
entries' encoded bytes, cold cache).

Time, in Debian's Chromium driven by Playwright (tests/browser's flags, 1280x800): the real
server (`python -m hedgerow serve`, a temporary data directory, a first user) holding
--events generated events sent through /batch/; a browser signed in through /login; then
--runs loads of /events, each in a new tab, from navigation start to the first frame at
which an event row is in the table. Cold: the browser's HTTP cache is emptied before each
load (CDP `Network.clearBrowserCache`); warm: the cache kept from the previous load (the
app's files are immutable under their hashed names, so they are not asked for again).
Reference, in the same runs: the time to the first byte of index.html, and a bare fetch of
the same EventsQuery (POST /api/projects/1/query/, JSON parsed) made just before each load
from a tab of the same origin without the app (/_health, signed in); the
ratio first row / (TTFB + bare fetch) is what the app adds on top of the two round trips any
page needs. Each load also says when the app sent its events query and when the answer came.

Run: `python bench/webapp_load.py [--runs 20] [--events 1000]` (about a minute);
`--quick`: 3 runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
from typing import Any

from playwright.async_api import BrowserContext, Page, async_playwright

from browser_app import (
    APP_DIR,
    EVENT_ROW,
    FIRST_ROW_PROBE,
    app_server,
    launch,
    send_events,
    sign_in,
    summarize_resources,
    timings_js,
)
from common import md_table, percentile, report

EVENTS_QUERY = {
    "kind": "EventsQuery",
    "select": ["*", "person.properties.email", "person.properties.name"],
    "orderBy": ["timestamp DESC"],
    "limit": 100,
}

BARE_FETCH = """async (body) => {
  const match = document.cookie.match(/(?:^|; )hedgerow_csrftoken=([^;]*)/);
  const headers = {"Content-Type": "application/json"};
  if (match) headers["X-CSRFToken"] = decodeURIComponent(match[1]);
  const began = performance.now();
  const answer = await fetch("/api/projects/1/query/", {method: "POST", headers, body});
  const rows = (await answer.json()).results.length;
  return {ms: performance.now() - began, status: answer.status, rows};
}"""


def built_sizes() -> dict[str, Any]:
    files = []
    for path in sorted((APP_DIR / "assets").iterdir()):
        if path.suffix in (".js", ".css"):
            body = path.read_bytes()
            gz = len(gzip.compress(body, compresslevel=9, mtime=0))
            files.append({"name": path.name, "raw": len(body), "gzip": gz})
    return {
        "files": files,
        "js_raw": sum(f["raw"] for f in files if f["name"].endswith(".js")),
        "js_gzip": sum(f["gzip"] for f in files if f["name"].endswith(".js")),
        "css_raw": sum(f["raw"] for f in files if f["name"].endswith(".css")),
        "css_gzip": sum(f["gzip"] for f in files if f["name"].endswith(".css")),
    }


async def one_load(context: BrowserContext, reference: Page, cold: bool) -> dict[str, Any]:
    fetched = await reference.evaluate(BARE_FETCH, json.dumps({"query": EVENTS_QUERY}))
    if fetched["status"] != 200 or fetched["rows"] == 0:
        raise RuntimeError(f"the bare fetch failed: {fetched}")
    page = await context.new_page()
    try:
        if cold:
            cdp = await context.new_cdp_session(page)
            await cdp.send("Network.clearBrowserCache")
            await cdp.detach()
        await page.goto("/events")
        await page.wait_for_selector(EVENT_ROW, timeout=60_000)
        await page.wait_for_function("window.__firstRow !== undefined", timeout=60_000)
        timings: dict[str, Any] = await page.evaluate(timings_js())
    finally:
        await page.close()
    summary = summarize_resources(timings.pop("resources"))
    return {**timings, **summary, "bare_fetch_ms": fetched["ms"]}


async def measure(url: str, runs: int) -> dict[str, list[dict[str, Any]]]:
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        context = await sign_in(browser, url)
        reference = await context.new_page()  # no app: a JSON page of the same origin
        await reference.goto("/_health")
        await context.add_init_script(FIRST_ROW_PROBE)
        await one_load(context, reference, cold=True)  # a warm-up: the server's first query
        loads: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
        for _ in range(runs):  # alternate, so both see the same machine
            loads["cold"].append(await one_load(context, reference, cold=True))
            loads["warm"].append(await one_load(context, reference, cold=False))
        await browser.close()
    return loads


def stats(values: list[float]) -> tuple[float, float]:
    return percentile(values, 50), percentile(values, 95)


def timing_rows(loads: dict[str, list[dict[str, Any]]]) -> list[list[Any]]:
    rows = []
    for cache, runs in loads.items():
        first = stats([r["first_row_ms"] for r in runs])
        ttfb = stats([r["html_ttfb_ms"] for r in runs])
        bare = stats([r["bare_fetch_ms"] for r in runs])
        sent = stats([r["query_start_ms"] for r in runs])
        back = stats([r["query_end_ms"] for r in runs])
        reference = ttfb[0] + bare[0]
        rows.append(
            [
                cache,
                f"{first[0]:.0f} / {first[1]:.0f}",
                f"{ttfb[0]:.1f} / {ttfb[1]:.1f}",
                f"{bare[0]:.1f} / {bare[1]:.1f}",
                f"{first[0] / reference:.1f}x",
                f"{sent[0]:.0f} / {sent[1]:.0f}",
                f"{back[0]:.0f} / {back[1]:.0f}",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="cold and warm loads each")
    parser.add_argument("--events", type=int, default=1000, help="events stored first")
    parser.add_argument("--quick", action="store_true", help="3 runs")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    sizes = built_sizes()
    load_before = os.getloadavg()
    with app_server() as server:
        send_events(server, args.events)
        loads = asyncio.run(measure(server.url, runs))
    load_after = os.getloadavg()

    cold = loads["cold"][0]
    size_table = md_table(
        ["what", "JS files", "JS raw", "JS gzip", "CSS files", "CSS raw", "CSS gzip"],
        [
            [
                "the whole built app",
                sum(f["name"].endswith(".js") for f in sizes["files"]),
                f"{sizes['js_raw']:,}",
                f"{sizes['js_gzip']:,}",
                sum(f["name"].endswith(".css") for f in sizes["files"]),
                f"{sizes['css_raw']:,}",
                f"{sizes['css_gzip']:,}",
            ],
            [
                "fetched by a cold load of /events",
                cold["js_files"],
                f"{cold['js_decoded']:,}",
                f"{cold['js_encoded']:,}",
                cold["css_files"],
                f"{cold['css_decoded']:,}",
                f"{cold['css_encoded']:,}",
            ],
        ],
    )
    warm_js = max(r["js_transfer"] for r in loads["warm"])
    time_table = md_table(
        [
            "cache",
            "first event row ms (p50 / p95)",
            "index.html TTFB ms",
            "bare query fetch ms",
            "first row / (TTFB + fetch), p50",
            "app sent its query at ms",
            "answer back at ms",
        ],
        timing_rows(loads),
    )
    notes = [
        f"{runs} cold and {runs} warm loads of /events, alternating, after one warm-up; "
        f"{args.events:,} events stored. Times from navigation start. Files fetched cold: "
        + ", ".join(cold["files"])
        + f". Warm loads transferred at most {warm_js:,} bytes of JavaScript. "
        f"Load average before {load_before[0]:.1f}, after {load_after[0]:.1f}.",
    ]
    middle = sorted(loads["cold"], key=lambda r: r["first_row_ms"])[len(loads["cold"]) // 2]
    notes.append(
        f"The median cold load, what it fetched (path: start-end ms): index.html "
        f"0-{middle['html_end_ms']:.0f}, "
        + ", ".join(f"{path} {start}-{end}" for path, start, end in middle["waterfall"])
        + f"; first row at {middle['first_row_ms']:.0f} ms."
    )
    report(
        "webapp_load",
        "Web app first load (bench/webapp_load.py)",
        [size_table, time_table, *notes],
        {"sizes": sizes, "loads": loads, "loadavg": [load_before, load_after]},
    )


if __name__ == "__main__":
    main()
