"""The web app in Chromium for bench/webapp_load.py and bench/webapp_live.py: a server with a
first user, a browser signed in through /login, events sent through capture, and the
selectors and in-page probes the benchmarks read."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Playwright

from common import ROOT, EventFactory, Server, batch_body

# tests/browser/browser_site.py's Chromium and flags: Debian's package, headless.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN = {"HEDGEROW_ADMIN_EMAIL": "ada@example.com", "HEDGEROW_ADMIN_PASSWORD": "correct horse"}
APP_DIR = ROOT / "src" / "hedgerow" / "web" / "app"
# A rendered row of the events table (spacer rows have no aria-rowindex).
EVENT_ROW = "table.events-table tbody tr[aria-rowindex]"
NEWEST_TIME = EVENT_ROW + " time"
VIEWPORT = {"width": 1280, "height": 800}


def app_server(data_dir: Path | None = None, **env: str) -> Server:
    """The real server with a first user (not started: use it as a context manager)."""
    if not (APP_DIR / "index.html").is_file():
        raise SystemExit("The web app is not built: run `make frontend` first.")
    return Server(data_dir, **ADMIN, **env)


async def launch(playwright: Playwright) -> Browser:
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


async def sign_in(browser: Browser, url: str) -> BrowserContext:
    """A context signed in through the /login page, as a user does."""
    context = await browser.new_context(base_url=url, viewport=VIEWPORT)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto("/events")
    await page.wait_for_url("**/login?next=*")
    await page.get_by_label("Email").fill(ADMIN["HEDGEROW_ADMIN_EMAIL"])
    await page.get_by_label("Password").fill(ADMIN["HEDGEROW_ADMIN_PASSWORD"])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(url + "/events")
    await page.close()
    return context


def send_events(server: Server, count: int, batch: int = 500) -> float:
    """Send `count` generated events through /batch/ and wait until they are stored; the
    seconds it took."""
    began = time.monotonic()
    factory = EventFactory(seed=11)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for first in range(0, count, batch):
            body = batch_body(factory, min(batch, count - first))
            client.post("/batch/", content=body).raise_for_status()
    drained, status = server.wait_drained(600)
    if not drained:
        raise RuntimeError(f"events not stored within 10 minutes: {status}")
    return time.monotonic() - began


# rAF deltas and long tasks, recorded from the document's start (an init script: the page's
# CSP forbids inline scripts, but a script the browser is told to run at document creation is
# not one of the page's).
FRAME_PROBE = """(() => {
  window.__frames = [];
  window.__longtasks = [];
  let last = null;
  const tick = (now) => {
    if (window.__recording && last !== null) window.__frames.push(now - last);
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => {
      if (!window.__recording) return;
      for (const entry of list.getEntries()) window.__longtasks.push(entry.duration);
    }).observe({ type: "longtask", buffered: false });
  } catch (error) {
    window.__longtasks = null;
  }
})();"""

# The time of the first frame at which an event row is in the table (performance.now(): ms
# since navigation start).
FIRST_ROW_PROBE = """(() => {
  const tick = () => {
    if (document.querySelector(ROW)) { window.__firstRow = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();""".replace("ROW", repr(EVENT_ROW))


def timings_js() -> str:
    """What one load of /events took, read from the page's performance entries."""
    return """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource").map((r) => ({
    name: r.name, type: r.initiatorType, start: r.startTime, end: r.responseEnd,
    transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize,
  }));
  return {
    first_row_ms: window.__firstRow ?? null,
    html_ttfb_ms: nav.responseStart, html_end_ms: nav.responseEnd,
    html_transfer: nav.transferSize, html_encoded: nav.encodedBodySize,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
    resources,
  };
}"""


def summarize_resources(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Bytes of JavaScript and CSS a load fetched (encoded: as sent), and when the events
    query left and came back."""
    js = [r for r in resources if r["name"].split("?")[0].endswith(".js")]
    css = [r for r in resources if r["name"].split("?")[0].endswith(".css")]
    queries = [r for r in resources if r["name"].endswith("/query/")]
    return {
        "js_files": len(js),
        "js_encoded": sum(r["encoded"] for r in js),
        "js_decoded": sum(r["decoded"] for r in js),
        "js_transfer": sum(r["transfer"] for r in js),
        "css_files": len(css),
        "css_encoded": sum(r["encoded"] for r in css),
        "css_decoded": sum(r["decoded"] for r in css),
        "css_transfer": sum(r["transfer"] for r in css),
        "query_start_ms": queries[0]["start"] if queries else None,
        "query_end_ms": queries[0]["end"] if queries else None,
        "files": sorted(r["name"].rsplit("/", 1)[-1] for r in js + css),
        "waterfall": [
            [r["name"].split("//", 1)[-1].split("/", 1)[-1], round(r["start"]), round(r["end"])]
            for r in sorted(resources, key=lambda r: r["start"])
        ],
    }
