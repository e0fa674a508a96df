"""A web site on its own 127.0.0.1 port (another origin than Hedgerow, as in real use).

Pages come from `tests/browser/pages/`, with `{{HEDGEROW}}` and `{{TOKEN}}` filled in, and
`/vendor/posthog-js/...` serves the posthog-js that `tests/node` installed from npm.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page

from server import TOKEN, Server

PAGES = Path(__file__).parent / "pages"
POSTHOG_JS = Path(__file__).resolve().parents[1] / "node" / "node_modules" / "posthog-js"
CHROMIUM = "/usr/bin/chromium"
# Path prefixes answered by one page whatever follows (a site's routes): the single-page app,
# and the small web site of the web analytics test, one copy per browser SDK.
PREFIX_PAGES = {"/app/": "spa.html", "/ph/": "site_posthog.html", "/hr/": "site_hedgerow.html"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Site:
    def __init__(self, hedgerow: Server) -> None:
        substitutions = {"{{HEDGEROW}}": hedgerow.url, "{{TOKEN}}": TOKEN}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path.startswith("/vendor/posthog-js/"):
                    file = POSTHOG_JS / path.removeprefix("/vendor/posthog-js/")
                    media = "application/javascript"
                else:
                    prefix = next((p for p in PREFIX_PAGES if path.startswith(p)), None)
                    name = PREFIX_PAGES[prefix] if prefix else path.lstrip("/")
                    file = PAGES / name
                    media = "text/html; charset=utf-8"
                if ".." in path or not file.is_file():
                    self.send_error(404)
                    return
                body = file.read_bytes()
                if media.startswith("text/html"):
                    text = body.decode()
                    for key, value in substitutions.items():
                        text = text.replace(key, value)
                    body = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def open_page(page: Page, url: str, config: dict[str, Any] | None = None) -> str:
    """Open a test page with extra `hedgerow.init` options; answer the visitor's distinct_id."""
    page.add_init_script(f"window.TEST_CONFIG = {json.dumps(config or {})}")
    page.goto(url)
    page.wait_for_function("window.hedgerow && window.hedgerow.__loaded")
    distinct_id: str = page.evaluate("hedgerow.get_distinct_id()")
    return distinct_id


def open_posthog_page(page: Page, url: str) -> str:
    """Open a posthog-js page; wait until its handshake has turned autocapture on.

    `opt_out_useragent_filter` is posthog-js's own switch for browsers under automation:
    without it, it drops every event from a webdriver-controlled (headless) Chromium.
    """
    page.add_init_script("window.TEST_CONFIG = {opt_out_useragent_filter: true}")
    page.goto(url)
    page.wait_for_function("window.posthog && posthog.__loaded && posthog.autocapture?.isEnabled")
    distinct_id: str = page.evaluate("posthog.get_distinct_id()")
    return distinct_id


def stored_events(
    server: Server, distinct_id: str, count: int, page: Page | None = None, timeout: float = 30
) -> list[dict[str, Any]]:
    """The stored events of `distinct_id` (oldest first), once there are `count` of them.

    Events captured within the same millisecond come in no particular order.

    With a `page`, the wait runs through Playwright, which serves the page's routes meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        rows = server.events(properties=[{"key": "distinct_id", "value": distinct_id}])
        rows = [row for row in rows if row["distinct_id"] == distinct_id]
        if len(rows) >= count or time.monotonic() > deadline:
            names = sorted(row["event"] for row in rows)
            assert len(rows) == count, f"expected {count} events, found {len(rows)}: {names}"
            # The browser's clock orders its own events; the stored timestamps are corrected
            # for clock skew per request, which can swap events sent milliseconds apart.
            return sorted(rows, key=lambda row: (row["properties"]["$time"], row["timestamp"]))
        if page is None:
            time.sleep(0.05)
        else:
            page.wait_for_timeout(50)
