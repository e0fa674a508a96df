"""hedgerow.js in Chromium: custom events, default properties, page views and page leaves."""

from __future__ import annotations

import gzip
import json
import uuid
from urllib.parse import unquote

import pytest
from playwright.sync_api import Page, Route

from browser_site import Site, open_page, stored_events
from readback import as_json, subset
from server import TOKEN, Server

PLAN = {
    "price": 1599,
    "planId": "XYZ12345",
    "frequency": "monthly",
    "features": {
        "seats": 5,
        "sso": True,
        "addons": ["audit-log", "sla"],
        "limits": {"projects": None, "events": 1000000, "retention": 2.5},
        "empty": {},
    },
}


def test_plan_purchased_arrives_with_nested_properties(
    server: Server, site: Site, page: Page
) -> None:
    bodies: list[bytes] = []

    def keep_body(route: Route) -> None:
        bodies.append(route.request.post_data_buffer or b"")
        route.continue_()

    page.route(server.url + "/e/", keep_body)
    url = site.url + "/shop.html?utm_source=newsletter&utm_campaign=spring"
    distinct_id = open_page(page, url)
    page.evaluate("plan => hedgerow.capture('Plan purchased', plan)", PLAN)

    pageview, purchase = stored_events(server, distinct_id, 2, page)
    assert pageview["event"] == "$pageview"
    assert purchase["event"] == "Plan purchased"
    props = purchase["properties"]
    assert as_json(subset(props, PLAN)) == as_json(PLAN)
    assert props["token"] == TOKEN
    assert props["distinct_id"] == props["$device_id"] == distinct_id
    assert uuid.UUID(distinct_id).version == 7
    assert uuid.UUID(purchase["uuid"]).version == 7
    assert uuid.UUID(props["$session_id"]).version == 7
    assert uuid.UUID(props["$window_id"]).version == 7
    assert props["$session_id"] == pageview["properties"]["$session_id"]
    assert props["$pageview_id"] == pageview["uuid"] == pageview["properties"]["$pageview_id"]
    assert props["$current_url"] == url
    assert props["$host"] == site.url.removeprefix("http://")
    assert props["$pathname"] == "/shop.html"
    assert props["$referrer"] == props["$referring_domain"] == "$direct"
    assert props["utm_source"] == "newsletter"
    assert props["utm_campaign"] == "spring"
    assert props["utm_medium"] is None
    assert (props["$browser"], props["$os"], props["$device_type"]) == (
        "Chrome",
        "Linux",
        "Desktop",
    )
    assert isinstance(props["$browser_version"], int | float) and props["$browser_version"] > 100
    assert props["$lib"] == "hedgerow-js"
    assert props["$lib_version"] == "0.1.0"
    assert len(props["$insert_id"]) == 16
    assert isinstance(props["$time"], float)
    assert props["$process_person_profile"] is False  # anonymous, person_profiles identified_only
    for key in ("$screen_width", "$screen_height", "$viewport_width", "$viewport_height"):
        assert isinstance(props[key], int) and props[key] > 0
    assert pageview["properties"]["title"] == "Shop"

    # Sent as gzip (CompressionStream), in PostHog's batch shape.
    assert bodies and all(body[:2] == b"\x1f\x8b" for body in bodies)
    batch = json.loads(gzip.decompress(bodies[-1]))
    assert batch["api_key"] == TOKEN and isinstance(batch["batch"], list) and batch["sent_at"]


def test_page_views_on_load_and_on_history_changes(server: Server, site: Site, page: Page) -> None:
    distinct_id = open_page(page, site.url + "/app/home", {"autocapture": False})
    page.click("#to-pricing")  # pushState
    page.click("#to-filter")  # same path, new query: not a new page
    page.click("#to-about")  # replaceState
    page.go_back()  # popstate, back to /app/pricing
    page.wait_for_url("**/app/pricing")
    page.evaluate("hedgerow.capture('done')")

    rows = stored_events(server, distinct_id, 5)
    views = [row["properties"] for row in rows if row["event"] == "$pageview"]
    assert [(v["$pathname"], v.get("navigation_type")) for v in views] == [
        ("/app/home", None),
        ("/app/pricing", "pushState"),
        ("/app/about", "replaceState"),
        ("/app/pricing", "popstate"),
    ]
    assert [v.get("$prev_pageview_pathname") for v in views] == [
        None,
        "/app/home",
        "/app/pricing",
        "/app/about",
    ]
    assert rows[-1]["event"] == "done"
    assert rows[-1]["properties"]["$pageview_id"] == rows[-2]["uuid"]


def test_page_leave_and_nothing_lost_when_the_page_is_left(
    server: Server, site: Site, page: Page
) -> None:
    # A minute between flushes: only the page-hide beacon can deliver these in time.
    distinct_id = open_page(page, site.url + "/shop.html", {"flush_interval_ms": 60000})
    for n in range(5):
        page.evaluate("n => hedgerow.capture('before leaving', {n})", n)
    page.click("#next")  # a real navigation to another page of the site
    page.wait_for_url("**/next.html")
    page.wait_for_function("window.hedgerow && window.hedgerow.__loaded")
    assert page.evaluate("hedgerow.get_distinct_id()") == distinct_id

    rows = stored_events(server, distinct_id, 9)
    events = [row["event"] for row in rows]
    assert sorted(events) == sorted(
        ["$pageview", "$autocapture", "$pageleave", "$pageview", *["before leaving"] * 5]
    )
    assert sorted(r["properties"]["n"] for r in rows if r["event"] == "before leaving") == [
        0,
        1,
        2,
        3,
        4,
    ]
    first_view = next(r for r in rows if r["event"] == "$pageview")
    [leave] = [row["properties"] for row in rows if row["event"] == "$pageleave"]
    assert leave["$pathname"] == "/shop.html"
    assert leave["$prev_pageview_id"] == first_view["uuid"]
    assert leave["$prev_pageview_duration"] >= 0
    second_view = [r["properties"] for r in rows if r["event"] == "$pageview"][-1]
    assert second_view["$pathname"] == "/next.html"
    assert second_view["$referrer"] == "$direct"  # the session's referrer, kept per session
    assert second_view["$session_id"] == first_view["properties"]["$session_id"]


def test_super_properties(server: Server, site: Site, page: Page) -> None:
    distinct_id = open_page(page, site.url + "/shop.html", {"capture_pageview": False})
    page.evaluate(
        """() => {
        hedgerow.register({plan: 'pro', team: {size: 3}})
        hedgerow.register_once({plan: 'free', first_seen: 'today'})
        hedgerow.capture('one')
        hedgerow.unregister('plan')
        hedgerow.capture('two')
    }"""
    )
    # Both are captured within the same millisecond, so pick them by name, not by time.
    by_name = {row["event"]: row for row in stored_events(server, distinct_id, 2)}
    one, two = by_name["one"], by_name["two"]
    assert subset(one["properties"], {"plan": 0, "team": 0, "first_seen": 0}) == {
        "plan": "pro",
        "team": {"size": 3},
        "first_seen": "today",
    }
    assert "plan" not in two["properties"]
    assert two["properties"]["first_seen"] == "today"


def test_opting_out_stops_capture_until_opted_in(server: Server, site: Site, page: Page) -> None:
    distinct_id = open_page(page, site.url + "/shop.html", {"capture_pageview": False})
    page.evaluate("hedgerow.opt_out_capturing(); hedgerow.capture('while out')")
    page.click("#buy")
    page.reload()  # the choice is kept
    page.wait_for_function("window.hedgerow && window.hedgerow.__loaded")
    page.evaluate("hedgerow.capture('still out')")
    assert page.evaluate("hedgerow.has_opted_out_capturing()") is True
    page.evaluate("hedgerow.opt_in_capturing(); hedgerow.capture('back in')")

    rows = stored_events(server, distinct_id, 2)
    assert sorted(row["event"] for row in rows) == ["$opt_in", "back in"]


@pytest.mark.parametrize(
    ("persistence", "cookie", "local", "same_visitor"),
    [
        ("localStorage+cookie", True, True, True),
        ("localStorage", False, True, True),
        ("cookie", True, False, True),
        ("memory", False, False, False),
    ],
)
def test_persistence_modes(
    server: Server,
    site: Site,
    page: Page,
    persistence: str,
    cookie: bool,
    local: bool,
    same_visitor: bool,
) -> None:
    first = open_page(page, site.url + "/shop.html", {"persistence": persistence})
    page.reload()
    page.wait_for_function("window.hedgerow && window.hedgerow.__loaded")
    second = page.evaluate("hedgerow.get_distinct_id()")

    assert (first == second) is same_visitor
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert (f"hr_{TOKEN}" in cookies) is cookie
    assert page.evaluate(f"localStorage.getItem('hr_{TOKEN}') !== null") is local
    if cookie:
        assert first in unquote(cookies[f"hr_{TOKEN}"])
    # The reload leaves the first page: a page leave, then the second page's view.
    expected = (
        ["$pageview", "$pageleave", "$pageview"] if same_visitor else ["$pageview", "$pageleave"]
    )
    rows = stored_events(server, first, len(expected))
    assert [row["event"] for row in rows] == expected


def test_async_snippet_queues_calls_until_the_file_loads(
    server: Server, site: Site, page: Page
) -> None:
    """No api_host given: the SDK sends to the server it was loaded from."""
    distinct_id = open_page(page, site.url + "/async.html")
    [row] = stored_events(server, distinct_id, 1)
    assert row["event"] == "queued before load"
    assert row["properties"]["n"] == 1
