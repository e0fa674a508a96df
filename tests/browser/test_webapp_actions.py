"""The actions screens in Chromium, against the real server: the guide's drift example built
entirely in the UI (clicks on a button 'Purchase' that later reads 'Add', sent by hedgerow.js
in a page; one action with a match group for each text; the live preview counts both; saved,
reopened from /actions, and matching both through the API), "Create action from this event"
filling the editor, a bad regex refused at its field, and deleting an action."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from posthog import Posthog

from browser_site import Site, open_page, stored_events
from readback import wait_for_events
from server import TOKEN, Server

PREVIEW_TIMEOUT = 10_000


@pytest.fixture()
def sdk(app_server: Server) -> Iterator[Posthog]:
    client = Posthog(TOKEN, host=app_server.url, sync_mode=True)
    yield client
    client.shutdown()


def group(page: Page, n: int) -> Locator:
    return page.get_by_role("group", name=f"Match group #{n}")


def preview_count(page: Page) -> Locator:
    return page.get_by_role("region", name="Matching events").get_by_role("status")


def action_count(server: Server, action_id: int) -> list[str]:
    """The uuids of the events the saved action matches, through EventsQuery `actionId`."""
    found = server.query(
        {"kind": "EventsQuery", "select": ["uuid"], "actionId": action_id, "limit": 1000}
    )
    return sorted(row[0] for row in found["results"])


def test_the_drift_action_is_built_in_the_ui(
    app_server: Server, app_page: Page, page: Page, site_for: Any
) -> None:
    # A shop page: the button says 'Purchase' twice, then its text drifts to 'Add'.
    site: Site = site_for(app_server)
    # (No rage clicks: in the guide these clicks are days apart, not three in a second.)
    distinct_id = open_page(page, site.url + "/purchase.html", {"rageclick": False})
    page.click("#purchase")
    page.click("#purchase")
    page.evaluate("document.querySelector('#purchase').textContent = 'Add'")
    page.click("#purchase")
    clicks = stored_events(app_server, distinct_id, 3, page)
    assert [c["event"] for c in clicks] == ["$autocapture"] * 3

    app_page.goto("/actions")
    expect(app_page.get_by_role("heading", name="No actions yet")).to_be_visible()
    app_page.get_by_role("link", name="New action").first.click()
    expect(app_page).to_have_url(re.compile("/actions/new$"))
    app_page.get_by_label("Name", exact=True).fill("Purchased a plan")
    first = group(app_page, 1)
    first.get_by_role("radio", name="Autocapture").check()
    first.get_by_label("Element text", exact=True).fill("Purchase")
    expect(preview_count(app_page)).to_have_text(
        "2 events matched in the last 30 days", timeout=PREVIEW_TIMEOUT
    )
    app_page.get_by_role("button", name="Add match group").click()
    second = group(app_page, 2)
    second.get_by_role("radio", name="Autocapture").check()
    second.get_by_label("Element text", exact=True).fill("Add")
    # The preview of the unsaved action counts both kinds of click, and lists them.
    expect(preview_count(app_page)).to_have_text(
        "3 events matched in the last 30 days", timeout=PREVIEW_TIMEOUT
    )
    sample = app_page.get_by_role("region", name="Matching events").get_by_role("row")
    expect(sample).to_have_count(4)  # a header and three events
    expect(sample.nth(1)).to_contain_text("Clicked button with text 'Add'")

    app_page.get_by_role("button", name="Save").click()
    expect(app_page).to_have_url(re.compile(r"/actions/\d+$"))
    expect(app_page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(app_page.get_by_role("button", name="No changes")).to_be_disabled()
    action_id = int(app_page.url.rsplit("/", 1)[1])

    # Reopened from the list, it holds both groups.
    app_page.goto("/actions")
    row = app_page.get_by_role("row").filter(has_text="Purchased a plan")
    groups = row.get_by_role("list", name="Match groups of Purchased a plan").get_by_role(
        "listitem"
    )
    expect(groups).to_have_text(
        ['Autocapture where text is "Purchase"', 'OR Autocapture where text is "Add"']
    )
    row.get_by_role("link", name="Purchased a plan").click()
    expect(app_page).to_have_url(re.compile(f"/actions/{action_id}$"))
    expect(group(app_page, 1).get_by_label("Element text", exact=True)).to_have_value("Purchase")
    expect(group(app_page, 2).get_by_label("Element text", exact=True)).to_have_value("Add")
    expect(app_page.get_by_role("button", name="No changes")).to_be_disabled()

    # The saved action matches both kinds of click, as the API counts it.
    assert action_count(app_server, action_id) == sorted(c["uuid"] for c in clicks)


def test_create_action_from_this_event_fills_the_editor(
    app_server: Server, app_page: Page, sdk: Posthog
) -> None:
    chain = 'a:attr__href="/plans"href="/plans"nth-child="1"text="See plans";div:nth-child="2"'
    properties = {
        "$elements_chain": chain,
        "$event_type": "click",
        "$current_url": "https://shop.example/home",
    }
    sdk.capture("$autocapture", distinct_id="visitor-9", properties=properties)
    [event] = wait_for_events(app_server, "$autocapture", 1, distinct_id="visitor-9")

    app_page.goto(f"/events/{event['uuid']}")
    app_page.get_by_role("link", name="Create action from this event").click()
    expect(app_page).to_have_url(re.compile(r"/actions/new\?"))
    name = app_page.get_by_label("Name", exact=True)
    expect(name).to_have_value("clicked link with text 'See plans'")
    step = group(app_page, 1)
    expect(step.get_by_role("radio", name="Autocapture")).to_be_checked()
    expect(step.get_by_label("Element text", exact=True)).to_have_value("See plans")
    expect(step.get_by_label("Element link target", exact=True)).to_have_value("/plans")
    expect(step.get_by_label("Element tag", exact=True)).to_have_value("a")
    expect(step.get_by_label("Page URL", exact=True)).to_have_value("https://shop.example/home")
    expect(step.get_by_label("Page URL matching")).to_have_value("exact")
    expect(preview_count(app_page)).to_have_text(
        "1 event matched in the last 30 days", timeout=PREVIEW_TIMEOUT
    )


def test_a_bad_regex_is_refused_at_its_field_and_an_action_can_be_deleted(
    app_server: Server, app_page: Page
) -> None:
    with app_server.api() as api:
        made = api.post(
            "/api/projects/1/actions/",
            json={"name": "Doomed", "steps": [{"event": "$autocapture", "text": "Buy"}]},
        ).json()
    app_page.goto(f"/actions/{made['id']}")
    step = group(app_page, 1)
    step.get_by_label("Element text matching").select_option(label="matches regex")
    step.get_by_label("Element text", exact=True).fill("Buy (now")
    field_error = step.get_by_role("alert")
    expect(field_error).to_contain_text("The regex 'Buy (now' is not valid", timeout=10_000)
    expect(step.get_by_label("Element text", exact=True)).to_have_attribute("aria-invalid", "true")
    app_page.get_by_role("button", name="Save").click()
    expect(field_error).to_contain_text("regexes use RE2 syntax")
    with app_server.api() as api:
        kept = api.get(f"/api/projects/1/actions/{made['id']}/").json()
    assert kept["steps"][0]["text"] == "Buy"  # the refused change was not saved

    app_page.get_by_role("button", name="Delete", exact=True).click()
    confirm = app_page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Delete the action “Doomed”?")
    confirm.get_by_role("button", name="Delete action").click()
    expect(app_page).to_have_url(re.compile("/actions$"))
    expect(app_page.get_by_role("link", name="Doomed")).to_have_count(0)
    query = {"kind": "EventsQuery", "select": ["count()"], "actionId": made["id"]}
    with app_server.api() as api:
        answer = api.post("/api/projects/1/query/", json={"query": query})
    assert answer.status_code == 400 and answer.json()["code"] == "unknown_action"
