"""The /demo page on the running server: a newcomer clicks and sees events arrive."""

from __future__ import annotations

from playwright.sync_api import Page

from browser_site import stored_events
from server import Server


def test_demo_page_sends_what_a_newcomer_clicks(server: Server, page: Page) -> None:
    page.goto(server.url + "/demo")
    page.wait_for_function("window.hedgerow && window.hedgerow.__loaded")
    distinct_id = page.evaluate("hedgerow.get_distinct_id()")
    page.click("#signup")
    page.click("#secret-button")  # in the ph-no-capture area
    page.click("#purchase")  # ph-no-autocapture: only its custom event

    rows = stored_events(server, distinct_id, 3, page)
    assert sorted(row["event"] for row in rows) == ["$autocapture", "$pageview", "Plan purchased"]
    [click] = [row for row in rows if row["event"] == "$autocapture"]
    assert click["properties"]["$el_text"] == "Sign up"
    [purchase] = [row["properties"] for row in rows if row["event"] == "Plan purchased"]
    assert purchase["features"] == {"seats": 5, "sso": True}
    log = page.inner_text("#log")
    assert "Plan purchased" in log and "$autocapture" in log and "$pageview" in log
