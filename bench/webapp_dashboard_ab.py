"""Two builds of the web app, one dashboard reloaded from cache in turns: which draws it sooner.

bench/webapp_dashboard.py's dashboard (8 insight tiles) on two copies of --data-dir, one server
running this checkout (its built app) and one running --against, another checkout's `src/`
with its own built app (e.g. `git archive main | tar -x -C DIR`, then its app built or
copied into DIR/src/hedgerow/web/app). One browser, a page on each server, warmed by a load
and a reload; then --rounds rounds, each reloading both pages one after the other (which goes
first alternates), ms from navigation start until all 8 tiles are drawn. Both builds see the
same machine load at nearly the same moments, so their ratio holds on a busy machine where
each figure alone does not.

Run: `python bench/webapp_dashboard_ab.py --data-dir DIR --against OTHER/src [--rounds 20]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright

from browser_app import app_server, launch, sign_in
from common import md_table, percentile
from webapp_dashboard import ALL_DRAWN_PROBE, all_drawn, prepare_dashboard


async def open_board(browser: Browser, url: str, path: str) -> Page:
    context = await sign_in(browser, url)
    await context.add_init_script(ALL_DRAWN_PROBE)
    page = await context.new_page()
    await page.goto(path)
    await all_drawn(page)
    await page.reload()
    await all_drawn(page)
    return page


async def rounds(servers: dict[str, tuple[str, str]], count: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in servers}
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            pages = {
                name: await open_board(browser, url, path) for name, (url, path) in servers.items()
            }
            names = list(servers)
            for index in range(count):
                for name in names if index % 2 == 0 else names[::-1]:
                    await pages[name].reload()
                    times[name].append(await all_drawn(pages[name]))
        finally:
            await browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="loaded data (copied)")
    parser.add_argument("--against", type=Path, required=True, help="another checkout's src/")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hedgerow-bench-ab-") as tmp, ExitStack() as stack:
        servers: dict[str, tuple[str, str]] = {}
        sources = {"this checkout": None, "against": str(args.against.resolve())}
        for name, source in sources.items():
            data_dir = Path(tmp) / name.replace(" ", "-")
            shutil.copytree(args.data_dir, data_dir, symlinks=True)
            env: dict[str, Any] = {"PYTHONPATH": source} if source else {}
            server = stack.enter_context(app_server(data_dir, **env))
            board, _ = prepare_dashboard(server)
            servers[name] = (server.url, f"/dashboard/{board}")
        times = asyncio.run(rounds(servers, args.rounds))
    load_after = os.getloadavg()[0]
    rows = [
        [name, len(t), f"{percentile(t, 50):.0f}", f"{percentile(t, 95):.0f}", f"{min(t):.0f}"]
        for name, t in times.items()
    ]
    ratio = percentile(times["this checkout"], 50) / percentile(times["against"], 50)
    print(md_table(["build", "reloads", "p50 ms", "p95 ms", "min ms"], rows))
    load = f"load average {load_before:.1f} -> {load_after:.1f}"
    print(f"\np50 ratio (this / against): {ratio:.2f}; {load}")
    print("each:", {name: [round(v) for v in t] for name, t in times.items()})


if __name__ == "__main__":
    main()
