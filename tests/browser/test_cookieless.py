"""Cookieless counting end to end: the real posthog-js and hedgerow.js with
`cookieless_mode: 'always'` in Chromium, against a server whose clock a test moves
(`HEDGEROW_TEST_CLOCK_START`) to the next UTC day.

The browser keeps nothing (no cookie, nothing in localStorage or sessionStorage); two page
views of one browser are one visitor (a TrendsQuery `dau`); the next day the same browser is
a new visitor, and the past day's salt is gone from the salt store's files.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from browser_site import Site
from readback import wait_for_events
from server import TOKEN, Server

DAY1, DAY2 = "2026-03-10", "2026-03-11"
# Day 1's salt is usable until UTC-12 leaves March 10th (March 11th, 12:00 UTC) plus the
# lag, set to 0 here: at 13:00 on the next day it must be gone.
CLOCK_DAY1 = f"{DAY1}T10:00:00Z"
CLOCK_DAY2 = f"{DAY2}T13:00:00Z"
SDKS = {
    # page, TEST_CONFIG, the expression that is true once the SDK has loaded
    "posthog-js": (
        "/posthog.html",
        {"cookieless_mode": "always", "opt_out_useragent_filter": True},
        "window.posthog && posthog.__loaded",
    ),
    "hedgerow.js": (
        "/autocapture.html",
        {"cookieless_mode": "always", "capture_pageview": True},
        "window.hedgerow && hedgerow.__loaded",
    ),
}


def _server(data_dir: Path, clock: str, port: int | None = None) -> Server:
    return Server(
        data_dir, port=port, HEDGEROW_TEST_CLOCK_START=clock, HEDGEROW_COOKIELESS_MAX_LAG="0"
    ).start()


@pytest.fixture()
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    """One browser (one user agent, one IP), its days counted in UTC."""
    context = chromium.new_context(timezone_id="UTC")
    yield context
    context.close()


def _open(page: Page, site: Site, sdk: str) -> None:
    path, config, loaded = SDKS[sdk]
    page.add_init_script(f"window.TEST_CONFIG = {json.dumps(config)}")
    page.goto(site.url + path)
    page.wait_for_function(loaded)


def _page_views(server: Server, count: int, page: Page) -> list[dict[str, Any]]:
    """The stored `$pageview`s, once there are `count` (the page's routes keep working)."""
    deadline = time.monotonic() + 30
    while True:
        rows = server.events(event="$pageview")
        if len(rows) >= count or time.monotonic() > deadline:
            assert len(rows) == count, [r["distinct_id"] for r in rows]
            return rows
        page.wait_for_timeout(50)


def _kept_in_browser(context: BrowserContext, page: Page) -> dict[str, Any]:
    return {
        "cookies": context.cookies(),
        "document.cookie": page.evaluate("document.cookie"),
        "localStorage": page.evaluate("Object.keys(localStorage)"),
        "sessionStorage": page.evaluate("Object.keys(sessionStorage)"),
    }


NOTHING_KEPT = {"cookies": [], "document.cookie": "", "localStorage": [], "sessionStorage": []}


def _visitors_per_day(server: Server) -> list[int]:
    """Unique visitors of March 10th and 11th, read back as the web app would."""
    query = {
        "kind": "TrendsQuery",
        "series": [{"kind": "EventsNode", "event": "$pageview", "math": "dau"}],
        "interval": "day",
        "dateRange": {"date_from": DAY1, "date_to": DAY2},
    }
    [series] = server.query(query)["results"]
    return [int(value) for value in series["data"]]


def _salt_files(data_dir: Path) -> list[Path]:
    return sorted(data_dir.glob("cookieless.sqlite3*"))


def _salts(data_dir: Path) -> dict[str, bytes]:
    """The salt store read directly, as the docs describe it (a table `salts`)."""
    conn = sqlite3.connect(f"file:{data_dir / 'cookieless.sqlite3'}?mode=ro", uri=True)
    try:
        return {day: bytes(salt) for day, salt in conn.execute("SELECT day, salt FROM salts")}
    finally:
        conn.close()


@pytest.mark.parametrize("sdk", list(SDKS))
def test_cookieless_visitors_are_counted_per_day_and_the_salt_is_destroyed(
    tmp_path: Path,
    site_for: Callable[[Server], Site],
    browser_context: BrowserContext,
    sdk: str,
) -> None:
    data_dir = tmp_path / "data"
    server = _server(data_dir, CLOCK_DAY1)
    try:
        with server.api() as client:
            answer = client.patch("/api/projects/1/", json={"cookieless_server_hash_mode": 1})
            assert answer.json()["cookieless_server_hash_mode"] == 1
        site = site_for(server)
        page = browser_context.new_page()
        _open(page, site, sdk)
        page.reload()  # a second page view from the same browser
        page.wait_for_function(SDKS[sdk][2])
        day1 = _page_views(server, 2, page)
        assert _kept_in_browser(browser_context, page) == NOTHING_KEPT

        visitor = day1[0]["distinct_id"]
        assert visitor.startswith("cookieless_") and visitor != "cookieless_"
        for row in day1:
            assert row["distinct_id"] == visitor
            assert row["properties"]["$cookieless_mode"] is True
            assert row["properties"]["$device_id"] == "cookielessd_" + visitor[11:]
            assert "$ip" not in row["properties"]
            assert "$raw_user_agent" not in row["properties"]
            assert row["timestamp"].startswith(DAY1)
        assert len({row["properties"]["$session_id"] for row in day1}) == 1
        assert _visitors_per_day(server) == [1, 0]
        salts = _salts(data_dir)
        assert list(salts) == [DAY1] and len(salts[DAY1]) == 16
        page.close()
    finally:
        server.stop()

    # The next UTC day, on the same data and port (the site, its host and the page's script
    # stay the same: only the day differs): the server's clock has moved on.
    server = _server(data_dir, CLOCK_DAY2, port=server.port)
    try:
        assert _salts(data_dir) == {}
        for file in _salt_files(data_dir):
            assert salts[DAY1] not in file.read_bytes(), file.name
        page = browser_context.new_page()
        _open(page, site, sdk)
        rows = _page_views(server, 3, page)
        assert _kept_in_browser(browser_context, page) == NOTHING_KEPT
        [day2] = [row for row in rows if row["timestamp"].startswith(DAY2)]
        assert day2["distinct_id"].startswith("cookieless_")
        assert day2["distinct_id"] != visitor
        assert _visitors_per_day(server) == [1, 1]
        assert list(_salts(data_dir)) == [DAY2]
        page.close()
    finally:
        server.stop()


def test_cookieless_events_are_dropped_while_the_project_mode_is_off(
    tmp_path: Path, site_for: Callable[[Server], Site], browser_context: BrowserContext
) -> None:
    server = _server(tmp_path / "data", CLOCK_DAY1)
    try:
        site = site_for(server)
        page = browser_context.new_page()
        _open(page, site, "hedgerow.js")
        status = server.wait_ingested(1)
        assert status["discarded"].get("cookieless_project_disabled", 0) >= 1, status
        assert server.events() == []
    finally:
        server.stop()


def test_hedgerow_js_on_reject_goes_cookieless_once_the_visitor_says_no(
    tmp_path: Path, site_for: Callable[[Server], Site], browser_context: BrowserContext
) -> None:
    """Nothing is sent or stored before the visitor decides; after a no, events are
    cookieless and only the decision is kept; after a yes, a stored identity as usual."""
    server = _server(tmp_path / "data", CLOCK_DAY1)
    try:
        with server.api() as client:
            client.patch("/api/projects/1/", json={"cookieless_server_hash_mode": 1})
        site = site_for(server)
        page = browser_context.new_page()
        page.add_init_script('window.TEST_CONFIG = {"cookieless_mode": "on_reject"}')
        page.goto(site.url + "/autocapture.html")
        page.wait_for_function("window.hedgerow && hedgerow.__loaded")
        assert page.evaluate("hedgerow.capture('before deciding')") is None
        assert _kept_in_browser(browser_context, page) == NOTHING_KEPT

        page.evaluate("hedgerow.opt_out_capturing(); hedgerow.capture('after no')")
        [after_no] = wait_for_events(server, "after no", 1)
        assert after_no["distinct_id"].startswith("cookieless_")
        assert "$ip" not in after_no["properties"]
        kept = _kept_in_browser(browser_context, page)
        assert kept == {**NOTHING_KEPT, "localStorage": [f"__hr_opt_in_out_{TOKEN}"]}

        page.evaluate("hedgerow.opt_in_capturing(); hedgerow.capture('after yes')")
        [after_yes] = wait_for_events(server, "after yes", 1)
        assert "$cookieless_mode" not in after_yes["properties"]
        assert after_yes["distinct_id"] == page.evaluate("hedgerow.get_distinct_id()")
        assert not after_yes["distinct_id"].startswith("cookieless")
        assert f"hr_{TOKEN}" in page.evaluate("Object.keys(localStorage)")
        assert server.events(event="before deciding") == []
    finally:
        server.stop()


def test_posthog_js_on_reject_goes_cookieless_once_the_visitor_says_no(
    tmp_path: Path, site_for: Callable[[Server], Site], browser_context: BrowserContext
) -> None:
    """The real posthog-js with `cookieless_mode: 'on_reject'` (its consent.ts and
    posthog-core.ts): while consent is pending it neither captures nor stores anything; after
    `opt_out_capturing()` its events carry `$cookieless_mode` and the server derives the
    visitor's id from the day's hash (the same id after a reload: one visitor), and the browser
    keeps only the decision; after `opt_in_capturing()` it is a fresh stored identity as usual."""
    server = _server(tmp_path / "data", CLOCK_DAY1)
    try:
        with server.api() as client:
            client.patch("/api/projects/1/", json={"cookieless_server_hash_mode": 1})
        site = site_for(server)
        page = browser_context.new_page()
        config = {"cookieless_mode": "on_reject", "opt_out_useragent_filter": True}
        page.add_init_script(f"window.TEST_CONFIG = {json.dumps(config)}")
        page.goto(site.url + "/posthog.html")
        page.wait_for_function("window.posthog && posthog.__loaded")
        assert page.evaluate("posthog.is_capturing()") is False
        page.evaluate("posthog.capture('before deciding')")
        assert _kept_in_browser(browser_context, page) == NOTHING_KEPT

        page.evaluate("posthog.opt_out_capturing(); posthog.capture('after no')")
        [after_no] = wait_for_events(server, "after no", 1)
        visitor = after_no["distinct_id"]
        assert visitor.startswith("cookieless_") and visitor != "cookieless_"
        assert after_no["properties"]["$cookieless_mode"] is True
        assert after_no["properties"]["$device_id"] == "cookielessd_" + visitor[11:]
        assert "$ip" not in after_no["properties"]
        assert "$raw_user_agent" not in after_no["properties"]
        decision = f"__ph_opt_in_out_{TOKEN}"
        assert _kept_in_browser(browser_context, page) == {
            **NOTHING_KEPT,
            "localStorage": [decision],
        }
        page.reload()  # the decision is kept: cookieless from the start, the same visitor
        page.wait_for_function("window.posthog && posthog.__loaded")
        page.evaluate("posthog.capture('after reload')")
        [after_reload] = wait_for_events(server, "after reload", 1)
        assert after_reload["distinct_id"] == visitor
        assert _kept_in_browser(browser_context, page) == {
            **NOTHING_KEPT,
            "localStorage": [decision],
        }

        page.evaluate("posthog.opt_in_capturing(); posthog.capture('after yes')")
        [after_yes] = wait_for_events(server, "after yes", 1)
        assert "$cookieless_mode" not in after_yes["properties"]
        assert after_yes["distinct_id"] == page.evaluate("posthog.get_distinct_id()")
        assert not after_yes["distinct_id"].startswith(("cookieless", "$posthog_cookieless"))
        assert after_yes["properties"]["$session_id"]
        assert after_yes["properties"]["$ip"] == "127.0.0.1"  # kept as for any event
        wait_for_events(server, "$opt_in", 1, distinct_id=after_yes["distinct_id"])
        stored = f"ph_{TOKEN}_posthog"
        assert stored in page.evaluate("Object.keys(localStorage)")
        assert stored in [c["name"] for c in browser_context.cookies()]
        assert server.events(event="before deciding") == []
    finally:
        server.stop()
