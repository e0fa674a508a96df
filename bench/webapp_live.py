"""The /events page in live mode while capture takes 1,000 events/s: does it keep up, and
does it stay responsive?

The real server (`python -m hedgerow serve`, a temporary data directory, a first user, buffer
delay 0) with --seed events sent first; Debian's Chromium (Playwright, tests/browser's flags,
1280x800) signed in through /login on /events, live mode on (its default: a poll for the
newest 100 events every second). Three phases, in this order:
  1. no load, live: --reference-seconds (20);
  2. --rate (1,000) events/s through capture, live: --seconds (60);
  3. the same load, live mode paused (the Pause button): --reference-seconds.
The load is bench/loadgen.py's open-loop driver (a fixed arrival rate): 10% of the events as
single /e/ requests, the rest in gzip /batch/ bodies of 50, no bad requests, no queries;
every event's timestamp is the time its request was built, to the millisecond.
Measured in the page during each phase: the time between animation frames
(requestAnimationFrame deltas; 16.7 ms at 60 Hz when nothing blocks) and long tasks
(PerformanceObserver 'longtask', over 50 ms), and the page's query requests (resource
timing). From Python every --sample (0.5 s): the newest event shown (the first row's time)
against the clock: how far behind what was just sent the list is. Keeping up: that lag
stays within ~2 s while live. Also the CPU taken by the server and the load generator.

Run: `python bench/webapp_live.py` (about 2 minutes); `--quick`: 15 s of load, 5 s phases.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from playwright.async_api import Page, async_playwright

from browser_app import (
    EVENT_ROW,
    FRAME_PROBE,
    NEWEST_TIME,
    app_server,
    launch,
    send_events,
    sign_in,
)
from common import Server, md_table, own_cpu_seconds, percentile, report, tree_cpu_seconds
from loadgen import Driver, Mix, Traffic

START_RECORDING = """() => {
  window.__frames = []; window.__longtasks = window.__longtasks === null ? null : [];
  performance.clearResourceTimings(); performance.setResourceTimingBufferSize(100000);
  window.__recording = true;
}"""
STOP_RECORDING = """(row) => {
  window.__recording = false;
  const queries = performance.getEntriesByType("resource")
    .filter((r) => r.name.endsWith("/query/")).map((r) => r.responseEnd - r.startTime);
  return {frames: window.__frames, longtasks: window.__longtasks, queries,
          rows: document.querySelectorAll(row).length};
}"""


class TimedTraffic(Traffic):
    """Capture traffic whose events carry the time they were made, to the millisecond."""

    def now(self) -> str:
        moment = time.time()
        whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
        return f"{whole}.{int(moment % 1 * 1000):03d}Z"


async def newest_lag(page: Page) -> float | None:
    """Seconds between now and the newest event the list shows."""
    shown = await page.evaluate(
        f"() => document.querySelector({NEWEST_TIME!r})?.getAttribute('datetime') ?? null"
    )
    if not shown:
        return None
    moment = datetime.fromisoformat(shown.replace("Z", "+00:00"))
    return (datetime.now(UTC) - moment).total_seconds()


async def set_live(page: Page, live: bool) -> None:
    name = "Pause" if live is False else "Resume live updates"
    button = page.get_by_role("button", name=name)
    if await button.count():
        await button.click()
    status = "Live: new events appear as they arrive" if live else "Paused"
    await page.get_by_role("status").filter(has_text=status).wait_for()


async def phase(
    page: Page, server: Server, name: str, rate: float, seconds: float, args: argparse.Namespace
) -> dict[str, Any]:
    driver = Driver(server.port, TimedTraffic(str(uuid.uuid4())), Mix(bad_share=0.0))
    await page.evaluate(START_RECORDING)
    cpu = (own_cpu_seconds(), tree_cpu_seconds(server.pid))
    began = time.monotonic()
    lags: list[tuple[float, float]] = []

    async def sample() -> None:
        while time.monotonic() - began < seconds:
            lag = await newest_lag(page)
            if lag is not None:
                lags.append((time.monotonic() - began, lag))
            await asyncio.sleep(args.sample)

    sampler = asyncio.create_task(sample())
    if rate > 0:
        await driver.open_loop(rate, seconds, kinds=("single", "batch"))
    else:
        await asyncio.sleep(seconds)
    await sampler
    span = time.monotonic() - began
    recorded: dict[str, Any] = await page.evaluate(STOP_RECORDING, EVENT_ROW)
    driver.close()
    outcomes = driver.recorder.outcomes
    return {
        "name": name,
        "rate": rate,
        "seconds": span,
        "accepted_events": driver.recorder.accepted.total(),
        "refused_requests": sum(n for (_, status, _), n in outcomes.items() if status != 200),
        "server_cores": (tree_cpu_seconds(server.pid) - cpu[1]) / span,
        "loadgen_cores": (own_cpu_seconds() - cpu[0]) / span,
        "lags": lags,
        **recorded,
    }


async def measure(server: Server, args: argparse.Namespace) -> list[dict[str, Any]]:
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        context = await sign_in(browser, server.url)
        await context.add_init_script(FRAME_PROBE)
        page = await context.new_page()
        await page.goto("/events")
        await page.wait_for_selector(EVENT_ROW)
        phases = []
        await set_live(page, True)
        phases.append(await phase(page, server, "no load, live", 0, args.reference_seconds, args))
        phases.append(
            await phase(
                page, server, f"{args.rate:,.0f} events/s, live", args.rate, args.seconds, args
            )
        )
        await set_live(page, False)
        phases.append(
            await phase(
                page,
                server,
                f"{args.rate:,.0f} events/s, paused",
                args.rate,
                args.reference_seconds,
                args,
            )
        )
        await browser.close()
    return phases


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p):.1f}" if values else "-"


def phase_row(result: dict[str, Any], settle: float) -> list[Any]:
    frames = result["frames"]
    longtasks = result["longtasks"]
    lags = [lag for t, lag in result["lags"] if t >= settle]
    return [
        result["name"],
        len(frames),
        f"{ms(frames, 50)} / {ms(frames, 95)} / {max(frames, default=0):.0f}",
        sum(f > 50 for f in frames),
        "-" if longtasks is None else f"{len(longtasks)} ({sum(longtasks):.0f} ms)",
        f"{ms(lags, 50)} / {ms(lags, 95)} / {max(lags, default=0):.1f}" if lags else "-",
        f"{len(result['queries'])}, p50 {ms(result['queries'], 50)} ms",
        f"{result['accepted_events'] / result['seconds']:,.0f}",
        f"{result['server_cores']:.2f} / {result['loadgen_cores']:.2f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000, help="events/s through capture")
    parser.add_argument("--seconds", type=float, default=60, help="live mode under load")
    parser.add_argument("--reference-seconds", type=float, default=20)
    parser.add_argument("--seed", type=int, default=1000, help="events stored first")
    parser.add_argument("--sample", type=float, default=0.5, help="s between lag samples")
    parser.add_argument("--settle", type=float, default=3, help="s of a phase not sampled")
    parser.add_argument("--quick", action="store_true", help="15 s of load, 5 s phases")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.reference_seconds = 15, 5
    load_before = os.getloadavg()
    with app_server() as server:
        send_events(server, args.seed)
        phases = asyncio.run(measure(server, args))
        problems = server.log_problems()
    load_after = os.getloadavg()
    live, reference = phases[1], phases[0]
    live_frames, ref_frames = live["frames"], reference["frames"]
    ratio = (
        percentile(live_frames, 95) / percentile(ref_frames, 95)
        if live_frames and ref_frames
        else float("nan")
    )
    table = md_table(
        [
            "phase",
            "frames",
            "frame ms p50 / p95 / max",
            "frames > 50 ms",
            "long tasks (total)",
            "newest shown behind now, s p50 / p95 / max",
            "page queries, p50",
            "events/s accepted",
            "cores: server / load generator",
        ],
        [phase_row(result, args.settle) for result in phases],
    )
    notes = [
        f"Frame p95 under load, live, against no load: {ratio:.2f}x. The lag columns skip "
        f"each phase's first {args.settle:g} s (the list still shows the events from before). "
        f"{args.seed:,} events stored first. Server log error lines: {len(problems)}. "
        f"Load average before {load_before[0]:.1f}, after {load_after[0]:.1f}.",
    ]
    report(
        "webapp_live",
        "Live mode under capture (bench/webapp_live.py)",
        [table, *notes],
        {"phases": phases, "loadavg": [load_before, load_after], "log_problems": problems},
    )


if __name__ == "__main__":
    main()
