"""hedgerow.js identity: anonymous browsing, then identify, ends on one person; reset starts
a new anonymous visitor on the same device."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from browser_site import Site, open_page, stored_events
from readback import unique, wait_for_events, wait_for_person
from server import TOKEN, Server


@pytest.fixture()
def buffered_server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own with a short event buffer, as in the README's scenario."""
    instance = Server(tmp_path / "data", HEDGEROW_BUFFER_DELAY="2").start()
    yield instance
    if instance.process is not None:
        instance.stop()


def test_identify_after_anonymous_browsing_is_one_person(
    buffered_server: Server, site_for: Callable[[Server], Site], page: Page
) -> None:
    server = buffered_server
    site = site_for(server)
    user = unique("user")
    anonymous = open_page(page, site.url + "/shop.html?utm_source=ads")
    page.click("#buy")
    page.evaluate("hedgerow.capture('browsing', {step: 1})")
    stored_events(server, anonymous, 3)  # anonymous events are stored at once (personless)

    # The backend knows the user first: its event waits in the buffer for the $identify.
    batch = {"api_key": TOKEN, "batch": [{"event": "signed up", "distinct_id": user}]}
    assert httpx.post(server.url + "/batch/", json=batch).status_code == 200
    page.evaluate(
        "id => hedgerow.identify(id, {email: 'grace@example.com'}, {first_plan: 'free'})", user
    )
    page.evaluate("hedgerow.capture('Plan purchased', {price: 1599})")

    person = wait_for_person(
        server,
        user,
        {"email": "grace@example.com", "first_plan": "free", "$initial_utm_source": "ads"},
    )
    assert sorted(person["distinct_ids"]) == sorted([anonymous, user])
    assert person["properties"]["$initial_pathname"] == "/shop.html"
    before = stored_events(server, anonymous, 3)
    after = stored_events(server, user, 2)
    assert sorted(row["event"] for row in after) == ["$identify", "Plan purchased"]
    after += wait_for_events(server, "signed up", 1, distinct_id=user)
    assert {row["person_id"] for row in before + after} == {person["id"]}
    [identify] = [row for row in after if row["event"] == "$identify"]
    assert identify["properties"]["$anon_distinct_id"] == anonymous
    assert identify["properties"]["$device_id"] == anonymous
    assert identify["properties"]["$set"]["email"] == "grace@example.com"
    with server.api() as api:
        people = api.get("/api/projects/1/persons/").json()["results"]
    assert len(people) == 1


def test_reset_starts_a_new_visitor_on_the_same_device(
    server: Server, site: Site, page: Page
) -> None:
    config = {"capture_pageview": False, "autocapture": False}
    anonymous = open_page(page, site.url + "/shop.html", config)
    user = unique("user")
    page.evaluate("id => hedgerow.identify(id)", user)
    page.evaluate("hedgerow.capture('signed in')")
    page.evaluate("hedgerow.reset(); hedgerow.capture('after reset')")
    fresh = page.evaluate("hedgerow.get_distinct_id()")

    assert fresh not in (anonymous, user)
    assert uuid.UUID(fresh).version == 7
    [after] = stored_events(server, fresh, 1)
    assert after["event"] == "after reset"
    assert after["properties"]["$device_id"] == anonymous
    assert after["properties"]["$process_person_profile"] is False
    signed_in = [row for row in stored_events(server, user, 2) if row["event"] == "signed in"]
    assert after["person_id"] != signed_in[0]["person_id"]


def test_alias_adds_an_id_to_the_person(server: Server, site: Site, page: Page) -> None:
    open_page(page, site.url + "/shop.html", {"capture_pageview": False, "autocapture": False})
    user, alias = unique("user"), unique("alias")
    page.evaluate("id => hedgerow.identify(id, {plan: 'pro'})", user)
    page.evaluate("id => hedgerow.alias(id)", alias)

    person = wait_for_person(server, alias, {"plan": "pro"})
    assert user in person["distinct_ids"] and alias in person["distinct_ids"]
    [row] = wait_for_events(server, "$create_alias", 1, distinct_id=user)
    assert row["properties"]["alias"] == alias
