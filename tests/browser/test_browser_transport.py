"""hedgerow.js delivery: retries while the server is away, exactly once when it is back; no
retry of refused batches; queued events survive leaving the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, Route

from browser_site import Site, open_page, stored_events
from server import Server

QUIET = {"capture_pageview": False, "autocapture": False}
CORS = {"Access-Control-Allow-Origin": "*"}


def wait_until(page: Page, condition: Callable[[], bool], timeout: float = 20) -> None:
    """Poll through Playwright (which serves routes and page events meanwhile)."""
    for _ in range(int(timeout * 20)):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("condition not met in time")


def test_server_down_then_back_events_arrive_exactly_once(
    fresh_server: Server, site_for: Callable[[Server], Site], page: Page
) -> None:
    site = site_for(fresh_server)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    distinct_id = open_page(page, site.url + "/shop.html", QUIET)
    page.evaluate("hedgerow.capture('before the outage')")
    stored_events(fresh_server, distinct_id, 1)

    fresh_server.stop()
    for n in range(5):
        page.evaluate("n => hedgerow.capture('during the outage', {n})", n)
    wait_until(page, lambda: len(failed) >= 2)  # a first attempt and at least one retry
    fresh_server.start()  # same port, same data

    rows = stored_events(fresh_server, distinct_id, 6, page)
    during = [row["properties"]["n"] for row in rows if row["event"] == "during the outage"]
    assert sorted(during) == [0, 1, 2, 3, 4]
    status = fresh_server.wait_ingested(6)
    # Sent once each: the server saw no repeated uuid.
    assert status["received"] == status["processed"] == 6
    assert status["discarded"] == {}


def test_server_errors_are_retried_refusals_are_not(server: Server, site: Site, page: Page) -> None:
    bodies: list[bytes] = []
    answers = [503, 502, 400]  # the first three attempts; then the real server answers

    def answer(route: Route) -> None:
        bodies.append(route.request.post_data_buffer or b"")
        if len(bodies) <= len(answers):
            route.fulfill(status=answers[len(bodies) - 1], body="{}", headers=CORS)
        else:
            route.continue_()

    page.route(server.url + "/e/", answer)
    config = {**QUIET, "disable_compression": True}
    distinct_id = open_page(page, site.url + "/shop.html", config)
    page.evaluate("hedgerow.capture('retried after 5xx')")
    wait_until(page, lambda: len(bodies) >= 2)
    page.evaluate("hedgerow.capture('sent with the retry')")
    wait_until(page, lambda: len(bodies) >= 3)  # the 400: that batch is dropped
    page.evaluate("hedgerow.capture('after the refusal')")

    [row] = stored_events(server, distinct_id, 1, page)
    assert row["event"] == "after the refusal"
    assert b"retried after 5xx" in bodies[0] and b"retried after 5xx" in bodies[1]
    assert b"retried after 5xx" in bodies[2] and b"sent with the retry" in bodies[2]
    assert len(bodies) == 4 and b"retried" not in bodies[3]


def test_undelivered_events_survive_leaving_the_page(
    server: Server, site: Site, page: Page
) -> None:
    attempts: list[Any] = []

    def unreachable(route: Route) -> None:
        attempts.append(route.request.url)
        route.abort()

    page.route(server.url + "/e/", unreachable)
    distinct_id = open_page(page, site.url + "/shop.html", {"autocapture": False})
    for n in range(3):
        page.evaluate("n => hedgerow.capture('queued', {n})", n)
    wait_until(page, lambda: len(attempts) >= 2)
    page.click("#next")
    page.wait_for_url("**/next.html")
    page.wait_for_function("window.hedgerow && window.hedgerow.__loaded")
    wait_until(page, lambda: len(attempts) >= 4)  # the next page tries again, still failing
    page.unroute(server.url + "/e/")

    rows = stored_events(server, distinct_id, 6, page)
    assert sorted(row["event"] for row in rows) == sorted(
        ["$pageview", "queued", "queued", "queued", "$pageleave", "$pageview"]
    )
    assert sorted(r["properties"]["n"] for r in rows if r["event"] == "queued") == [0, 1, 2]
