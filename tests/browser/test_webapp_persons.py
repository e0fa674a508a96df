"""The persons screens in Chromium, against the real server: persons sent by posthog-python
(one identified with an email and $set properties, one anonymous) are listed and found by
email and by a property value, a person opens by id and by distinct id with properties,
distinct ids and only their own events (filterable in the URL), an unknown person says so,
and hostile person properties show as text and run nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect
from posthog import Posthog

from readback import wait_for_events
from server import TOKEN, Server

HOSTILE = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture(scope="module")
def people(app_server: Server) -> Iterator[dict[str, Any]]:
    """Grace browses anonymously on a device, then identifies with an email; a visitor
    stays anonymous. Names are unique to the run."""
    run = uuid.uuid4().hex[:6]
    grace, device, visitor = f"grace-{run}", f"device {run}/a", f"visitor-{run}"
    email, plan = f"grace.{run}@example.com", f"Galactic-{run}"
    client = Posthog(TOKEN, host=app_server.url, sync_mode=True)
    client.capture("Viewed pricing", distinct_id=device, properties={"$browser": "Firefox"})
    client.capture(
        "$identify",
        distinct_id=grace,
        properties={
            "$anon_distinct_id": device,
            "$set": {"email": email, "plan": plan, "bio": HOSTILE},
        },
    )
    client.capture("Plan purchased", distinct_id=grace, properties={"price": 1599})
    client.capture("Viewed pricing", distinct_id=visitor, properties={"$browser": "Chrome"})
    client.shutdown()
    for event, distinct_id in (("Plan purchased", grace), ("Viewed pricing", visitor)):
        wait_for_events(app_server, event, 1, distinct_id=distinct_id)
    yield {"grace": grace, "device": device, "visitor": visitor, "email": email, "plan": plan}


def rows(page: Page) -> Locator:
    return page.locator("tbody tr:not(.spacer)")


def search(page: Page, term: str) -> None:
    page.get_by_label("Search persons").fill(term)
    expect(page).to_have_url(re.compile(re.escape("?" + urlencode({"search": term})) + "$"))


def test_search_by_email_and_by_property_value_then_open_the_person(
    app_page: Page, people: dict[str, Any]
) -> None:
    app_page.goto("/persons")
    expect(app_page.get_by_role("heading", level=1)).to_have_text("Persons")
    expect(rows(app_page).filter(has_text=people["visitor"])).to_have_count(1)
    headers = app_page.get_by_role("columnheader").all_inner_texts()
    assert headers == ["Person", "ID", "First seen", "Last seen"]

    search(app_page, people["email"].upper())
    expect(rows(app_page)).to_have_count(1)
    cells = [c.strip() for c in rows(app_page).first.get_by_role("cell").all_inner_texts()]
    assert cells[0] == people["email"]
    assert cells[1] in (people["device"], people["grace"])
    assert cells[2:] == ["a few seconds ago", "a few seconds ago"]

    search(app_page, people["plan"].lower())
    expect(rows(app_page)).to_have_count(1)
    expect(rows(app_page)).to_contain_text(people["email"])
    search(app_page, "no-such-person-" + people["plan"])
    expect(app_page.get_by_text(re.compile("^No persons match"))).to_be_visible()

    # The search is in the address: a fresh page shows the same list.
    app_page.goto(f"/persons?search={people['plan']}")
    expect(app_page.get_by_label("Search persons")).to_have_value(people["plan"])
    app_page.get_by_role("link", name=people["email"]).click()
    expect(app_page).to_have_url(re.compile(r"/persons/[0-9a-f-]{36}$"))
    expect(app_page.get_by_role("heading", level=1)).to_have_text(people["email"])
    ids = app_page.get_by_role("list", name="Distinct IDs").get_by_role("listitem")
    expect(ids).to_have_text(sorted([people["device"], people["grace"]]), use_inner_text=True)
    expect(app_page.get_by_text("Yes: identified", exact=False)).to_be_visible()

    def value_of(key: str) -> Locator:
        header = app_page.get_by_role("rowheader", name=re.compile("^" + re.escape(key)))
        return app_page.get_by_role("row").filter(has=header).get_by_role("cell")

    expect(value_of("plan")).to_have_text(people["plan"])
    expect(value_of("$initial_browser")).to_have_text("Firefox")
    initial = app_page.get_by_role("rowheader", name=re.compile(r"^\$initial_browser"))
    expect(initial).to_contain_text("Initial browser")

    # Only her events, from both of her distinct ids, newest first; no visitor's.
    table = app_page.get_by_label("Events, newest first")
    expect(rows(table)).to_have_count(3)
    assert rows(table).first.inner_text().startswith("Plan purchased")
    expect(rows(table).filter(has_text="Viewed pricing")).to_have_count(1)
    expect(table.get_by_role("columnheader")).to_have_count(4)  # no Person column

    # The /events filters, in the URL.
    app_page.get_by_label("Event", exact=True).fill("Viewed pricing")
    app_page.get_by_role("button", name="Apply filters").click()
    expect(app_page).to_have_url(re.compile(r"\?event=Viewed"))
    assert parse_qs(urlsplit(app_page.url).query)["event"] == ["Viewed pricing"]
    expect(rows(table)).to_have_count(1)
    app_page.reload()
    expect(app_page.get_by_label("Event", exact=True)).to_have_value("Viewed pricing")
    expect(rows(app_page.get_by_label("Events, newest first"))).to_have_count(1)


def test_a_person_opens_by_distinct_id_and_an_unknown_one_says_so(
    app_page: Page, people: dict[str, Any]
) -> None:
    app_page.goto("/persons/" + quote(people["visitor"], safe=""))
    expect(app_page.get_by_role("heading", level=1)).to_have_text(people["visitor"])
    expect(app_page.get_by_text("No: anonymous")).to_be_visible()
    table = app_page.get_by_label("Events, newest first")
    expect(rows(table)).to_have_count(1)
    expect(rows(table)).to_contain_text("Viewed pricing")

    # A distinct id with a space and a slash, URL-encoded, finds Grace.
    app_page.goto("/persons/" + quote(people["device"], safe=""))
    expect(app_page.get_by_role("heading", level=1)).to_have_text(people["email"])

    app_page.goto("/persons/nobody-" + people["visitor"])
    expect(app_page.get_by_role("heading", level=1)).to_have_text("Person not found")
    expect(app_page.get_by_role("alert")).to_contain_text("nobody-" + people["visitor"])
    app_page.goto(f"/persons/{uuid.uuid4()}")
    expect(app_page.get_by_role("heading", level=1)).to_have_text("Person not found")


def test_hostile_person_properties_are_text_and_run_nothing(
    app_page: Page, people: dict[str, Any]
) -> None:
    app_page.goto("/persons?search=" + quote(HOSTILE))
    expect(rows(app_page)).to_contain_text(people["email"])
    app_page.get_by_role("link", name=people["email"]).click()
    bio = app_page.get_by_role("row").filter(has=app_page.get_by_role("rowheader", name="bio"))
    expect(bio.get_by_role("cell")).to_have_text(HOSTILE)
    assert app_page.locator("main img, main script").count() == 0
    assert app_page.evaluate("typeof window.__pwned") == "undefined"


def test_delete_person_with_their_events(app_page: Page, app_server: Server) -> None:
    """The person page's "Delete person": the dialog names the person and their distinct
    ids, the box adds their events; the job's progress shows, then the persons list, where
    they are gone, and so are their events; Cancel deleted nothing."""
    run = uuid.uuid4().hex[:6]
    doomed, device = f"doomed-{run}", f"doomed-device-{run}"
    client = Posthog(TOKEN, host=app_server.url, sync_mode=True)
    client.capture("Viewed pricing", distinct_id=device, properties={"$device_id": device})
    client.capture("$identify", distinct_id=doomed, properties={"$anon_distinct_id": device})
    client.shutdown()
    wait_for_events(app_server, "$identify", 1, distinct_id=doomed)

    app_page.goto("/persons/" + quote(doomed, safe=""))
    expect(app_page.get_by_role("heading", level=1)).to_be_visible()
    app_page.get_by_role("button", name="Delete person").click()
    dialog = app_page.get_by_role("dialog", name="Delete this person?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("their 2 distinct IDs. Their events stay")
    ids = dialog.get_by_role("list", name="Distinct IDs that will be deleted")
    assert sorted(ids.get_by_role("listitem").all_inner_texts()) == sorted([device, doomed])
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    app_page.get_by_role("button", name="Delete person").click()
    dialog.get_by_label("Also delete all of their events").check()
    expect(dialog).to_contain_text("their 2 distinct IDs and every event of theirs")
    dialog.get_by_role("button", name="Delete person").click()
    expect(app_page).to_have_url(re.compile(r"/persons$"), timeout=30_000)
    expect(app_page.get_by_text(re.compile(r"^The person was deleted"))).to_be_visible()
    expect(rows(app_page).filter(has_text=doomed)).to_have_count(0)
    expect(rows(app_page).filter(has_text=device)).to_have_count(0)
    assert [e for e in app_server.events() if e["distinct_id"] in (doomed, device)] == []
