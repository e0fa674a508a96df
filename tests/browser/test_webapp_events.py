"""The web app's activity view in Chromium, against the real server: events sent by
posthog-python and by hedgerow.js in a page are listed with their columns, autocapture reads
as the guide says it, an event opens with its properties and elements, new events arrive
without a reload (and not while paused), filters live in the URL, and hostile captured data
shows as text and runs nothing."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from posthog import Posthog

from browser_site import Site, open_page, stored_events
from readback import wait_for_events
from server import TOKEN, Server
from webapp import app_server_for, sign_in

HOSTILE = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture()
def sdk(app_server: Server) -> Iterator[Posthog]:
    client = Posthog(TOKEN, host=app_server.url, sync_mode=True)
    yield client
    client.shutdown()


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def row_of(page: Page, text: str) -> Locator:
    return page.get_by_role("row").filter(has_text=text)


def cell_texts(row: Locator) -> list[str]:
    return [text.strip() for text in row.get_by_role("cell").all_inner_texts()]


def test_events_from_posthog_python_show_event_person_url_library_and_time(
    app_server: Server, app_page: Page, sdk: Posthog
) -> None:
    event, email = unique("Plan purchased"), "ada@example.com"
    sdk.capture(
        event,
        distinct_id="ada",
        properties={"$current_url": "https://shop.example/checkout", "$set": {"email": email}},
    )
    sdk.capture(event, distinct_id="mobile-7", properties={"$screen_name": "Welcome"})
    [_, stored] = sorted(
        wait_for_events(app_server, event, 2), key=lambda row: row["distinct_id"] == "ada"
    )

    app_page.goto("/events")
    ada, mobile = row_of(app_page, email), row_of(app_page, "mobile-7")
    expect(ada).to_have_count(1)
    assert cell_texts(ada) == [
        event,
        email,
        "https://shop.example/checkout",
        "posthog-python",
        "a few seconds ago",
    ]
    assert cell_texts(mobile)[:4] == [event, "mobile-7", "Welcome", "posthog-python"]
    # Newest first; the person links to the person; the exact time is on hover.
    assert app_page.get_by_role("row").nth(1).inner_text().startswith(event)
    person = ada.get_by_role("link", name=email)
    assert person.get_attribute("href") == f"/persons/{stored['person_id']}"
    title = ada.locator("time").get_attribute("title") or ""
    assert stored["timestamp"].replace("T", " ").replace("Z", " UTC") in title


def test_autocapture_click_from_hedgerow_js_reads_as_the_guide_says(
    app_server: Server, app_page: Page, page: Page, site_for: Any
) -> None:
    site: Site = site_for(app_server)
    distinct_id = open_page(page, site.url + "/purchase.html")
    page.click("#purchase")
    [stored] = stored_events(app_server, distinct_id, 1, page)

    app_page.goto("/events")
    row = row_of(app_page, distinct_id)
    expect(row).to_have_count(1)
    assert cell_texts(row)[0] == "Clicked button with text 'Purchase'"
    assert cell_texts(row)[2] == site.url + "/purchase.html"
    assert cell_texts(row)[3] == "hedgerow-js"

    # Its detail: the element chain drawn outermost first, the clicked element marked.
    row.get_by_role("link", name="Clicked button with text 'Purchase'").click()
    expect(app_page).to_have_url(re.compile(f"/events/{stored['uuid']}$"))
    chain = app_page.get_by_label("Element chain, outermost first")
    expect(chain).to_be_visible()
    lines = [line.strip() for line in chain.locator(".chain-line").all_inner_texts()]
    assert lines[0].startswith("<body")
    assert lines[1].startswith('<main class="page" id="checkout">')
    assert lines[2].startswith('<section class="basket">')
    assert lines[3] == (
        '<button aria-label="Buy the basket" class="btn primary" id="purchase">Purchase</button>'
    )
    assert lines[4:] == ["</section>", "</main>", "</body>"]
    assert chain.locator(".chain-line.clicked").inner_text().startswith("<button")
    action = app_page.get_by_role("link", name="Create action from this event")
    query = parse_qs(urlsplit(action.get_attribute("href") or "").query)
    assert query["event"] == ["$autocapture"]
    assert query["text"] == ["Purchase"]
    assert query["url"] == [site.url + "/purchase.html"]


def test_event_detail_shows_nested_properties_and_builtin_ones_apart(
    app_server: Server, app_page: Page, sdk: Posthog
) -> None:
    event = unique("Checkout finished")
    properties = {"plan": {"name": "Pro", "limits": {"seats": 5}}, "tags": ["a", "b"], "paid": True}
    sdk.capture(event, distinct_id="nested-1", properties=properties)
    [stored] = wait_for_events(app_server, event, 1)

    app_page.goto(f"/events/{stored['uuid']}")
    expect(app_page.get_by_role("heading", level=1)).to_have_text(event)
    own = app_page.get_by_role("table").filter(
        has=app_page.get_by_text("Sent with the event", exact=True)
    )

    def row(within: Locator, key: str) -> Locator:
        """The innermost row of `key` (rows of nested objects hold their keys' rows)."""
        header = app_page.get_by_role("rowheader", name=key, exact=True)
        return within.get_by_role("row").filter(has=header).last

    plan = row(own, "plan")
    expect(plan.get_by_role("rowheader").first).to_have_text("plan")
    limits = row(plan, "limits")
    expect(row(limits, "seats").get_by_role("cell").last).to_have_text("5")
    expect(row(plan, "name").get_by_role("cell").last).to_have_text("Pro")
    tags = own.get_by_role("row").filter(has=app_page.get_by_role("rowheader", name="tags"))
    expect(tags.get_by_role("cell").last).to_contain_text("b")
    builtin = app_page.get_by_role("table").filter(
        has=app_page.get_by_text("Set by the SDK and the server ($)")
    )
    expect(builtin.get_by_role("rowheader", name="$lib", exact=True)).to_have_count(1)
    expect(own.get_by_role("rowheader", name="$lib", exact=True)).to_have_count(0)


def test_new_events_arrive_without_a_reload_and_not_while_paused(
    app_server: Server, app_page: Page, sdk: Posthog
) -> None:
    event = unique("Live ping")
    sdk.capture(event, distinct_id="live-0")
    wait_for_events(app_server, event, 1)
    app_page.goto("/events?event=" + event.replace(" ", "+"))
    expect(row_of(app_page, "live-0")).to_have_count(1)
    app_page.evaluate("window.__same_page = true")

    sdk.capture(event, distinct_id="live-1")
    expect(row_of(app_page, "live-1")).to_have_count(1, timeout=10_000)

    app_page.get_by_role("button", name="Pause").click()
    expect(app_page.get_by_role("status").filter(has_text="Paused")).to_have_count(1)
    sdk.capture(event, distinct_id="live-2")
    wait_for_events(app_server, event, 3)
    app_page.wait_for_timeout(3000)  # three polls' worth of time, had live mode been on
    expect(row_of(app_page, "live-2")).to_have_count(0)

    app_page.get_by_role("button", name="Resume live updates").click()
    expect(row_of(app_page, "live-2")).to_have_count(1, timeout=10_000)
    assert app_page.evaluate("window.__same_page") is True


def test_filters_round_trip_through_the_url(
    app_server: Server, app_page: Page, sdk: Posthog
) -> None:
    event = unique("Order placed")
    for distinct_id, price in (("cheap", 10), ("dear", 1599)):
        sdk.capture(event, distinct_id=distinct_id, properties={"price": price})
    sdk.capture(unique("Other event"), distinct_id="dear")
    wait_for_events(app_server, event, 2)

    app_page.goto("/events")
    # Names are suggested from the definitions (the input's list).
    suggested = app_page.locator("#event-names option")
    expect(suggested.and_(app_page.locator(f'[value="{event}"]'))).to_have_count(1)
    app_page.get_by_label("Event", exact=True).fill(event)
    app_page.get_by_role("button", name="Add property filter").click()
    app_page.get_by_label("Filter 1 property").fill("price")
    names = app_page.locator("#filter-1-names option")
    expect(names.and_(app_page.locator('[value="price"]'))).to_have_count(1)
    app_page.get_by_label("Filter 1 operator").select_option(label="greater than")
    app_page.get_by_label("Filter 1 value").fill("1000")
    values = app_page.locator("#filter-1-values option")  # the most frequent ones, by a count
    expect(values.and_(app_page.locator('[value="1599"]'))).to_have_count(1)
    app_page.get_by_label("Date range").select_option(label="Last 24 hours")
    app_page.get_by_role("button", name="Apply filters").click()

    expect(app_page).to_have_url(re.compile(r"properties="))
    params = parse_qs(urlsplit(app_page.url).query)
    assert params["event"] == [event]
    assert params["after"] == ["-24h"]
    assert json.loads(params["properties"][0]) == [
        {"key": "price", "operator": "gt", "type": "event", "value": "1000"}
    ]
    expect(row_of(app_page, "dear")).to_have_count(1)
    expect(app_page.locator("tbody tr:not(.spacer)")).to_have_count(1)

    # The same address in a fresh page shows the same view, filters filled in.
    shared = app_page.url
    app_page.goto("about:blank")
    app_page.goto(shared)
    expect(app_page.get_by_label("Event", exact=True)).to_have_value(event)
    expect(app_page.get_by_label("Filter 1 value")).to_have_value("1000")
    expect(app_page.get_by_label("Filter 1 operator")).to_have_value("gt")
    expect(row_of(app_page, "dear")).to_have_count(1)
    expect(row_of(app_page, "cheap")).to_have_count(0)


def test_hostile_event_data_is_shown_as_text_and_runs_nothing(
    app_server: Server, app_page: Page, sdk: Posthog
) -> None:
    chain = 'button:attr__onclick="window.__pwned=6"text="<script>window.__pwned=5</script>"'
    properties = {
        "$current_url": "javascript:window.__pwned=2",
        "html": "<b onmouseover=window.__pwned=3>bold</b>",
        "$set": {"email": "<svg onload=window.__pwned=4>"},
    }
    sdk.capture(HOSTILE, distinct_id="<i>mallory</i>", properties=properties)
    sdk.capture(
        "$autocapture",
        distinct_id="<i>mallory</i>",
        properties={"$event_type": "click", "$elements_chain": chain},
    )
    [stored] = wait_for_events(app_server, HOSTILE, 1)
    wait_for_events(app_server, "$autocapture", 1, distinct_id="<i>mallory</i>")

    app_page.goto("/events")
    row = app_page.get_by_role("row").filter(has_text="<svg onload=window.__pwned=4>")
    expect(row).to_have_count(2)
    expect(row.filter(has_text=HOSTILE)).to_have_count(1)
    expect(
        row.filter(has_text="Clicked button with text '<script>window.__pwned=5</script>'")
    ).to_have_count(1)
    for element in row.all():
        element.hover()

    app_page.goto(f"/events/{stored['uuid']}")
    expect(app_page.get_by_role("heading", level=1)).to_have_text(HOSTILE)
    expect(app_page.get_by_text("<b onmouseover=window.__pwned=3>bold</b>")).to_have_count(1)
    assert app_page.locator("main img, main svg, main b, main script").count() == 0
    assert app_page.evaluate("typeof window.__pwned") == "undefined"


def test_home_onboards_until_the_first_event_then_leads_to_events(
    tmp_path: Path, chromium: Browser
) -> None:
    fresh_server = app_server_for(tmp_path / "data")
    context = sign_in(chromium, fresh_server)
    page = context.new_page()
    try:
        page.goto("/")
        expect(page.get_by_role("status")).to_have_text(re.compile("Waiting for the first event"))
        snippet = page.get_by_label("Python: posthog snippet")
        expect(snippet).to_contain_text(f'Posthog("{TOKEN}", host="{fresh_server.url}")')
        page.evaluate("window.__same_page = true")

        client = Posthog(TOKEN, host=fresh_server.url, sync_mode=True)
        client.capture("First steps", distinct_id="newcomer")
        client.shutdown()
        expect(page.get_by_role("status")).to_have_text(
            re.compile("Your first event arrived: First steps"), timeout=10_000
        )
        assert page.evaluate("window.__same_page") is True

        page.goto("/")
        expect(page).to_have_url(re.compile("/events$"))
    finally:
        context.close()
        fresh_server.stop()


def test_scrolling_loads_older_events_to_the_end_with_few_rows_in_the_page(
    app_server: Server, app_page: Page
) -> None:
    event, count = unique("Scrolled"), 250
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = [
        {
            "event": event,
            "distinct_id": f"scroller-{i}",
            "timestamp": (
                start + timedelta(seconds=(i + 1) // 3)
            ).isoformat(),  # threes share a time
            "properties": {"n": i},
        }
        for i in range(count)
    ]
    response = httpx.post(f"{app_server.url}/batch/", json={"api_key": TOKEN, "batch": batch})
    assert response.status_code == 200, response.text
    wait_for_events(app_server, event, count)

    app_page.goto("/events?event=" + event.replace(" ", "+"))
    table = app_page.get_by_label("Events, newest first")
    expect(row_of(app_page, f"scroller-{count - 1}")).to_have_count(1)
    end = app_page.get_by_text(f"All {count} events are shown.")
    for _ in range(20):
        if end.count():
            break
        table.evaluate("element => { element.scrollTop = element.scrollHeight }")
        app_page.wait_for_timeout(200)
    expect(end).to_have_count(1)
    table.evaluate("element => { element.scrollTop = element.scrollHeight }")
    expect(row_of(app_page, "scroller-0")).to_have_count(1)  # the oldest, at the bottom
    # Virtual rows: only those near the visible part are in the page.
    assert app_page.locator("tbody tr:not(.spacer)").count() < 100
