"""The web app's data management screens in Chromium, against the real server: event
definitions with their volume, a server-side search that narrows the list, an event that
opens /events filtered to it, and property definitions with inferred types for event and
person properties; hostile names show as text and run nothing."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from readback import wait_for_events
from server import TOKEN, Server

HOSTILE = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture(scope="module")
def sent(app_server: Server) -> dict[str, str]:
    tag = uuid.uuid4().hex[:6]
    names = {
        "event": f"Signed up {tag}",
        "other": f"Logged in {tag}",
        "number": f"seats_{tag}",
        "flag": f"trial_{tag}",
        "date": f"renews_on_{tag}",
        "person": f"company_{tag}",
        "hostile_key": f"<b onmouseover=window.__pwned=2>{tag}</b>",
    }
    properties = {
        names["number"]: 5,
        names["flag"]: True,
        names["date"]: "2026-04-01",
        names["hostile_key"]: "x",
        "$set": {names["person"]: "Acme"},
    }
    batch = [
        {"event": names["event"], "distinct_id": f"user-{i}", "properties": properties}
        for i in range(3)
    ]
    batch += [
        {"event": names["other"], "distinct_id": "user-0", "properties": {}},
        {"event": HOSTILE, "distinct_id": "mallory", "properties": {}},
    ]
    response = httpx.post(app_server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    assert response.status_code == 200
    wait_for_events(app_server, names["event"], 3)
    wait_for_events(app_server, HOSTILE, 1)
    return names


def row_of(page: Page, name: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def cells(row: Locator) -> list[str]:
    return [text.strip() for text in row.get_by_role("cell").all_text_contents()]


def test_event_definitions_volume_search_and_link_to_events(
    app_page: Page, sent: dict[str, str]
) -> None:
    page = app_page
    page.goto("/data-management")
    expect(page).to_have_url(re.compile(r"/data-management/events$"))
    expect(page.get_by_role("heading", name="Data management")).to_be_visible()
    signed_up = row_of(page, sent["event"])
    expect(signed_up).to_have_count(1)
    volume, first_seen, last_seen = cells(signed_up)
    assert volume == "3"
    assert first_seen == last_seen == "a few seconds ago"
    expect(row_of(page, HOSTILE)).to_have_count(1)

    # The search runs on the server and narrows the list (and lives in the URL).
    tag = sent["event"].split()[-1]
    page.get_by_role("searchbox", name="Search").fill(f"up {tag}")
    expect(page.get_by_role("status").filter(has_text="1–1 of 1")).to_be_visible()
    expect(row_of(page, sent["other"])).to_have_count(0)
    expect(row_of(page, sent["event"])).to_have_count(1)
    assert "search=up+" in page.url

    # An event opens the activity view filtered to it.
    page.get_by_role("link", name=sent["event"], exact=True).click()
    expect(page.get_by_role("heading", name="Activity")).to_be_visible()
    assert page.url.endswith("/events?event=" + sent["event"].replace(" ", "+"))
    expect(page.get_by_label("Event", exact=True)).to_have_value(sent["event"])
    events = page.get_by_role("region", name="Events, newest first")
    expect(events.get_by_role("row").filter(has_text=sent["event"])).to_have_count(3)
    expect(events.get_by_role("row").filter(has_text=sent["other"])).to_have_count(0)

    # A hostile event name is a link like any other, shown as text.
    page.goto("/data-management/events?search=onerror")
    page.get_by_role("link", name=HOSTILE, exact=True).click()
    expect(page.get_by_label("Event", exact=True)).to_have_value(HOSTILE)
    assert page.evaluate("window.__pwned") is None


def test_property_definitions_show_types_for_event_and_person_properties(
    app_page: Page, sent: dict[str, str]
) -> None:
    page = app_page
    tag = sent["event"].split()[-1]
    page.goto("/data-management/events")
    page.get_by_role("navigation", name="Definitions").get_by_role(
        "link", name="Properties"
    ).click()
    expect(page).to_have_url(re.compile(r"/data-management/properties$"))
    page.get_by_role("searchbox", name="Search").fill(tag)
    expect(row_of(page, sent["number"])).to_have_count(1)
    assert cells(row_of(page, sent["number"]))[:2] == ["Numeric", "3"]
    assert cells(row_of(page, sent["flag"]))[:2] == ["Boolean", "3"]
    assert cells(row_of(page, sent["date"]))[:2] == ["DateTime", "3"]
    expect(row_of(page, sent["hostile_key"])).to_have_count(1)
    assert page.evaluate("window.__pwned") is None

    # Person properties: read from the persons, at most 5 s old; reload until they are there.
    page.get_by_role("radio", name="Person properties").check()
    expect(page).to_have_url(re.compile(r"[?&]type=person"))
    deadline = time.monotonic() + 20
    while row_of(page, sent["person"]).count() == 0 and time.monotonic() < deadline:
        page.reload()
        page.get_by_role("table").wait_for()
    assert cells(row_of(page, sent["person"]))[:2] == ["String", "3"]
    expect(page.get_by_role("radio", name="Person properties")).to_be_checked()
    expect(row_of(page, sent["number"])).to_have_count(0)
