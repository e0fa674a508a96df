"""Where the browser's main thread goes while a dashboard of 8 tiles is reloaded from cache.

The dashboard of bench/webapp_dashboard.py (8 insight tiles) on a copy of --data-dir (or on
--events generated events), opened once and reloaded once to warm the caches; then each
profiled reload records, from navigation start to the first frame with all 8 tiles drawn:
- a Chromium trace (devtools.timeline, v8): the main thread's time by kind of work (scripts
  evaluated per file, compiling, style, layout, paint, garbage collection, ...) and its long
  tasks in order, each with what took most of it;
- with --cpu, a sampled JavaScript profile of another reload: self and inclusive time per
  function (a build with `vite build --minify false` keeps the names readable).

Run: `python bench/webapp_dashboard_profile.py --data-dir DIR [--runs 3] [--cpu]`. A tool to
look with, not a benchmark: it prints, it does not write bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from playwright.async_api import Browser, CDPSession, Page, async_playwright

from browser_app import app_server, launch, sign_in
from webapp_dashboard import ALL_DRAWN_PROBE, all_drawn, prepare_dashboard, send_spread_events

MARK = "hedgerow-all-drawn"
# The probe also leaves a user-timing mark, so the trace knows when all tiles were drawn.
PROBE = ALL_DRAWN_PROBE.replace(
    "window.__allDrawn = performance.now();",
    f'window.__allDrawn = performance.now(); performance.mark("{MARK}");',
)
CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8",
    "v8.execute",
    "blink.user_timing",
    "loading",
    "toplevel",
]
TOP_LEVEL = {"RunTask", "ThreadControllerImpl::RunTask"}


def main_thread(events: list[dict[str, Any]]) -> tuple[int, int]:
    """The (pid, tid) of the renderer main thread that ran the page (the most work)."""
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e["args"].get("name") == "CrRendererMain"
    }
    work: dict[tuple[int, int], float] = defaultdict(float)
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if key in mains and e.get("ph") == "X":
            work[key] += e.get("dur", 0)  # type: ignore[index]
    return max(work, key=work.__getitem__)  # type: ignore[arg-type]


def slices(events: list[dict[str, Any]], thread: tuple[int, int]) -> list[dict[str, Any]]:
    """The thread's complete slices (X, and B/E pairs) as {name, start, end, label}, in µs."""
    out, open_ = [], []
    for e in sorted(
        (e for e in events if (e.get("pid"), e.get("tid")) == thread), key=lambda e: e["ts"]
    ):
        if e.get("ph") == "X" and "dur" in e:
            out.append({"name": e["name"], "start": e["ts"], "end": e["ts"] + e["dur"], "e": e})
        elif e.get("ph") == "B":
            open_.append(e)
        elif e.get("ph") == "E" and open_:
            b = open_.pop()
            out.append({"name": b["name"], "start": b["ts"], "end": e["ts"], "e": b})
    for s in out:
        data = s["e"].get("args", {}).get("data") or {}
        url = data.get("url") or (data.get("stackTrace") or [{}])[0].get("url", "")
        name = s["name"]
        if name in {"EvaluateScript", "FunctionCall", "v8.compile", "v8.compileModule"} and url:
            name += " " + url.rsplit("/", 1)[-1]
        s["label"] = name
    return out


def self_times(spans: list[dict[str, Any]], begin: float, end: float) -> dict[str, Any]:
    """Self time per label inside [begin, end], and the long top-level tasks in order."""
    spans = sorted(
        (s for s in spans if s["end"] > begin and s["start"] < end),
        key=lambda s: (s["start"], -(s["end"] - s["start"])),
    )
    stack: list[dict[str, Any]] = []
    for s in spans:
        s["self"], s["children"] = s["end"] - s["start"], []
        while stack and stack[-1]["end"] <= s["start"]:
            stack.pop()
        if stack:
            stack[-1]["self"] -= s["end"] - s["start"]
            stack[-1]["children"].append(s)
        s["parent"] = stack[-1] if stack else None
        stack.append(s)
    totals: dict[str, float] = defaultdict(float)
    for s in spans:
        totals[s["label"]] += max(s["self"], 0)

    def below(span: dict[str, Any]) -> dict[str, float]:
        found: dict[str, float] = defaultdict(float)
        todo = list(span["children"])
        while todo:
            child = todo.pop()
            found[child["label"]] += max(child["self"], 0)
            todo += child["children"]
        return found

    tasks = [s for s in spans if s["parent"] is None and s["name"] in TOP_LEVEL]
    busy = sum(min(t["end"], end) - max(t["start"], begin) for t in tasks)
    long_tasks = []
    for task in tasks:
        if task["end"] - task["start"] < 8000:
            continue
        parts = sorted(below(task).items(), key=lambda kv: -kv[1])[:4]
        long_tasks.append(
            {
                "at_ms": round((task["start"] - begin) / 1000, 1),
                "ms": round((task["end"] - task["start"]) / 1000, 1),
                "most": [f"{k} {v / 1000:.1f}" for k, v in parts],
            }
        )
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return {
        "window_ms": round((end - begin) / 1000, 1),
        "busy_ms": round(busy / 1000, 1),
        "self_ms": {k: round(v / 1000, 1) for k, v in ranked if v >= 500 and k not in TOP_LEVEL},
        "long_tasks": long_tasks,
    }


def analyze_trace(raw: bytes) -> dict[str, Any]:
    events = orjson.loads(raw)
    events = events["traceEvents"] if isinstance(events, dict) else events
    thread = main_thread(events)
    marks = [e["ts"] for e in events if e.get("name") == MARK]
    drawn = max(marks)
    starts = [e["ts"] for e in events if e.get("name") == "navigationStart" and e["ts"] < drawn]
    return self_times(slices(events, thread), max(starts), drawn)


def analyze_cpu(profile: dict[str, Any], top: int = 30) -> dict[str, Any]:
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}

    def label(node_id: int) -> str:
        frame = nodes[node_id]["callFrame"]
        file = frame["url"].rsplit("/", 1)[-1]
        where = f"{file}:{frame['lineNumber']}:{frame['columnNumber']}"
        return f"{frame['functionName'] or '(anonymous)'} {where}"

    own: dict[str, float] = defaultdict(float)
    inclusive: dict[str, float] = defaultdict(float)
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        own[label(node_id)] += delta
        seen, at = set(), node_id
        while at is not None:
            name = label(at)
            if name not in seen:
                inclusive[name] += delta
                seen.add(name)
            at = parent.get(at)

    def rank(table: dict[str, float]) -> dict[str, float]:
        ranked = sorted(table.items(), key=lambda kv: -kv[1])[:top]
        return {k: round(v / 1000, 1) for k, v in ranked}

    return {"self_ms": rank(own), "inclusive_ms": rank(inclusive)}


async def profile_reload(page: Page, cdp: CDPSession) -> dict[str, Any]:
    await cdp.send("Profiler.enable")
    await cdp.send("Profiler.setSamplingInterval", {"interval": 100})
    await cdp.send("Profiler.start")
    await page.reload()
    drawn = await all_drawn(page)
    profile = (await cdp.send("Profiler.stop"))["profile"]
    return {"drawn_ms": round(drawn), **analyze_cpu(profile)}


async def run(browser: Browser, url: str, path: str, runs: int, cpu: bool) -> list[Any]:
    context = await sign_in(browser, url)
    await context.add_init_script(PROBE)
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await page.goto(path)
    await all_drawn(page)
    await page.reload()  # a second load: the code cache and the server's cache warm
    await all_drawn(page)
    out = []
    for _ in range(runs):
        await browser.start_tracing(page=page, categories=CATEGORIES)
        await page.reload()
        drawn = await all_drawn(page)
        await asyncio.sleep(0.1)  # the mark's frame ends inside the trace
        analysis = analyze_trace(await browser.stop_tracing())
        out.append({"drawn_ms": round(drawn), **analysis})
    if cpu:
        out.append({"cpu": await profile_reload(page, cdp)})
    await context.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a loaded data directory (copied first)")
    parser.add_argument("--events", type=int, default=50_000, help="else: generated events")
    parser.add_argument("--runs", type=int, default=3, help="traced reloads")
    parser.add_argument("--cpu", action="store_true", help="and a JavaScript CPU profile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hedgerow-profile-dashboard-") as tmp:
        data_dir = Path(tmp) / "data"
        if args.data_dir:
            shutil.copytree(args.data_dir, data_dir, symlinks=True)  # chDB links are relative
        with app_server(data_dir) as server:
            if not args.data_dir:
                send_spread_events(server, args.events)
            board, _ = prepare_dashboard(server)

            async def go() -> list[Any]:
                async with async_playwright() as playwright:
                    browser = await launch(playwright)
                    try:
                        return await run(
                            browser, server.url, f"/dashboard/{board}", args.runs, args.cpu
                        )
                    finally:
                        await browser.close()

            results = asyncio.run(go())
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
