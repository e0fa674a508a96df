"""Projects, settings and ingestion warnings in the web app, against the real server: a
project made in /settings and switched to shows none of the first project's data, and
switching back shows it again; the project is renamed and given a time zone; a personal API
key is made (its value shown once, working as a Bearer key) and revoked (then refused); and
/ingestion-warnings lists discarded events per type, with samples shown as text, for the
current project only."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, expect
from posthog import Posthog

from readback import wait_for_events
from server import API_KEY, TOKEN, Server

HOSTILE = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture()
def sdk(app_server: Server) -> Iterator[Posthog]:
    client = Posthog(TOKEN, host=app_server.url, sync_mode=True)
    yield client
    client.shutdown()


def page_api(page: Page, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A request from the signed-in page, as the app makes them (cookie and CSRF header)."""
    status, answer = page.evaluate(
        """async ([method, path, body]) => {
            const cookies = document.cookie.split("; ");
            const pair = cookies.find((c) => c.startsWith("hedgerow_csrftoken="));
            const headers = { "Content-Type": "application/json" };
            if (pair) headers["X-CSRFToken"] = decodeURIComponent(pair.split("=")[1]);
            const sent = body === null ? undefined : JSON.stringify(body);
            const response = await fetch(path, { method, headers, body: sent });
            return [response.status, await response.json().catch(() => null)];
        }""",
        [method, path, body],
    )
    return int(status), answer


@pytest.fixture()
def first_project_page(app_page: Page) -> Page:
    """The signed-in page, on the first project (the server remembers a user's current
    project, and a test may have left another one current)."""
    app_page.goto("/settings")
    assert page_api(app_page, "PATCH", "/api/users/@me/", {"set_current_team": 1})[0] == 200
    return app_page


def current_project(page: Page) -> Any:
    return expect(page.locator(".sidebar select option:checked"))


def switch_project(page: Page, project_id: int) -> None:
    """With the sidebar's switcher (its name is "Project" and the chosen project's name)."""
    page.locator(".sidebar").get_by_label(re.compile("^Project")).select_option(str(project_id))


def events_list_shows(page: Page, event: str, present: bool) -> None:
    """Open /events and wait for its list to be loaded before looking for `event`."""
    page.goto("/events")
    rows = page.get_by_role("row").filter(has_text=event)
    if present:
        expect(rows).to_have_count(1)
    else:
        expect(page.get_by_role("status").filter(has_text="No events yet")).to_be_visible()
        expect(rows).to_have_count(0)


def b_sees_none_of_a(page: Page, event: str, stored: dict[str, Any], marker: str) -> None:
    """Every screen of project B, as a user reads it, shows nothing of project A: no
    persons (a search for A's person finds none), no event definitions, a SQL count of 0,
    and A's person and event pages say they are not in this project."""
    page.goto("/persons")
    expect(page.get_by_role("status")).to_have_text(re.compile("^No persons yet"))
    page.get_by_label("Search persons").fill(f"ada-{marker}")
    expect(page.get_by_role("status")).to_have_text(re.compile(f"^No persons match .ada-{marker}"))
    expect(page.get_by_role("row")).to_have_count(0)

    page.goto("/data-management/events")
    expect(page.get_by_text(re.compile("^No events yet"))).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=event)).to_have_count(0)

    page.goto("/sql?" + urlencode({"q": "SELECT count() FROM events"}))
    expect(page.get_by_role("status").filter(has_text="1 row")).to_be_visible()
    assert page.locator(".sql-table tbody tr:not(.spacer) td").all_inner_texts()[1:] == ["0"]

    for person in (stored["person_id"], f"ada-{marker}"):
        page.goto(f"/persons/{person}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Person not found")
    page.goto(f"/events/{stored['uuid']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Event not found")


def test_a_new_project_shows_none_of_the_first_projects_data_until_switched_back(
    app_server: Server, first_project_page: Page, sdk: Posthog
) -> None:
    page = first_project_page
    marker = uuid.uuid4().hex[:8]
    event, name = f"Order shipped {marker}", f"Project B {marker}"
    sdk.capture(event, distinct_id=f"ada-{marker}", properties={"$set": {"email": "a@x.test"}})
    [stored] = wait_for_events(app_server, event, 1)
    events_list_shows(page, event, present=True)

    page.goto("/settings")
    page.get_by_label("New project name").fill(name)
    page.get_by_role("button", name="Create project").click()
    # The app now shows B: the switcher, the settings form, the projects list.
    current_project(page).to_have_text(name)
    expect(page.get_by_label("Project name", exact=True)).to_have_value(name)
    projects = page.get_by_role("table", name="The projects of your organization")
    expect(projects.get_by_role("row", name=re.compile(name))).to_contain_text("Current project")
    b_id = int(page.get_by_label("Project ID").inner_text())
    assert b_id != 1

    events_list_shows(page, event, present=False)
    page.goto("/")
    expect(page.get_by_role("heading", name=f"Send your first event to {name}")).to_be_visible()
    b_sees_none_of_a(page, event, stored, marker)
    # The API under B's id in the URL refuses A's event and person (the screens above use
    # the current project; this is the server's own scoping). The first project is of the
    # same organization: the user may still read it by its id.
    base = f"/api/projects/{b_id}"
    assert page_api(page, "GET", f"{base}/events/{stored['uuid']}/")[0] == 404
    assert page_api(page, "GET", f"{base}/persons/{stored['person_id']}/")[0] == 404
    assert page_api(page, "GET", f"/api/projects/1/events/{stored['uuid']}/")[0] == 200

    # Back to the first project with the sidebar's switcher: its events are there again.
    switch_project(page, 1)
    current_project(page).not_to_have_text(name)
    events_list_shows(page, event, present=True)


def test_settings_rename_the_project_and_change_its_time_zone(
    app_server: Server, first_project_page: Page
) -> None:
    page = first_project_page
    name = f"Shop {uuid.uuid4().hex[:6]}"
    page.goto("/settings")
    field = page.get_by_label("Project name", exact=True)
    expect(field).not_to_have_value("")
    before = field.input_value()

    field.fill("   ")
    page.get_by_role("button", name="Save project").click()
    expect(page.get_by_role("alert")).to_have_text("A project needs a name.")
    expect(field).to_have_attribute("aria-invalid", "true")

    field.fill(name)
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save project").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    current_project(page).to_have_text(name)
    with app_server.api() as client:
        saved = client.get("/api/projects/1/").json()
    assert (saved["name"], saved["timezone"]) == (name, "Europe/Paris")
    page.reload()
    expect(page.get_by_label("Project name", exact=True)).to_have_value(name)
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")

    # A zone the server does not know is refused with its reason beside the field (an
    # option added to the list: this browser offers only zones it knows).
    page.get_by_label("Time zone").evaluate(
        "select => select.append(new Option('Mars/Olympus_Mons', 'Mars/Olympus_Mons'))"
    )
    page.get_by_label("Time zone").select_option("Mars/Olympus_Mons")
    page.get_by_role("button", name="Save project").click()
    expect(page.get_by_role("alert")).to_contain_text("'Mars/Olympus_Mons' is not a time zone")
    with app_server.api() as client:
        client.patch("/api/projects/1/", json={"name": before, "timezone": "UTC"})


def test_settings_data_section_shows_usage_and_saves_retention_and_redaction(
    app_server: Server, first_project_page: Page, sdk: Posthog
) -> None:
    """The Data section counts what is stored and names the oldest event; a retention
    period, redacted properties and "discard client IP data" are saved (a bad period is
    refused beside the field), and the page says they apply from now on."""
    page = first_project_page
    sdk.capture("Data usage seen", distinct_id=f"usage-{uuid.uuid4().hex[:6]}")
    wait_for_events(app_server, "Data usage seen", 1)
    with app_server.api() as client:
        usage = client.get("/api/projects/1/data_usage/").json()
    page.goto("/settings")
    facts = page.get_by_label("Data stored")
    expect(facts).to_contain_text(f"Events stored{usage['events']:,}")
    expect(facts).to_contain_text("Oldest event")
    expect(facts).to_contain_text("Events are kept for ever.")
    expect(page.get_by_text("for events captured from now on")).to_be_visible()

    period = page.get_by_label("Keep events for (days)")
    period.fill("0")
    page.get_by_role("button", name="Save data settings").click()
    expect(page.get_by_role("alert")).to_have_text("Enter a number of days from 1 to 36,500.")
    period.fill("3650")
    page.get_by_label("Properties never stored").fill("$ip\nemail, email")
    discard = page.get_by_role("checkbox", name="Discard client IP data")
    expect(discard).not_to_be_checked()
    expect(discard).to_have_accessible_description(re.compile("captured from now on"))
    discard.check()
    page.get_by_role("button", name="Save data settings").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(facts).to_contain_text("Events older than 3,650 days are deleted.")
    with app_server.api() as client:
        saved = client.get("/api/projects/1/").json()
        assert (saved["retention_days"], saved["redacted_properties"]) == (3650, ["$ip", "email"])
        assert saved["anonymize_ips"] is True
        client.patch(
            "/api/projects/1/",
            json={"retention_days": None, "redacted_properties": [], "anonymize_ips": False},
        )


def test_settings_cookieless_section_explains_and_saves_the_mode(first_project_page: Page) -> None:
    """The section says what a cookieless visitor count means; a mode chosen and saved is the
    project's `cookieless_server_hash_mode`, and the page shows it again after a reload."""
    page = first_project_page
    page.goto("/settings")
    section = page.get_by_role("region", name="Cookieless counting")
    expect(section).to_contain_text("The same person counts again the next day")
    modes = section.get_by_role("group", name="Cookieless server hash mode")
    expect(modes.get_by_role("radio", name=re.compile("^Off"))).to_be_checked()
    modes.get_by_role("radio", name=re.compile("^Stateful")).check()
    section.get_by_role("button", name="Save cookieless mode").click()
    expect(section.get_by_text("Saved.")).to_be_visible()
    _status, saved = page_api(page, "GET", "/api/projects/1/")
    assert saved["cookieless_server_hash_mode"] == 2
    page.reload()
    expect(modes.get_by_role("radio", name=re.compile("^Stateful"))).to_be_checked()
    assert page_api(page, "PATCH", "/api/projects/1/", {"cookieless_server_hash_mode": 0})[0] == 200


def test_a_personal_api_key_is_shown_once_works_and_is_refused_once_revoked(
    app_server: Server, first_project_page: Page
) -> None:
    page = first_project_page
    label = f"nightly export {uuid.uuid4().hex[:6]}"
    page.goto("/settings")
    page.get_by_label("Key label").fill(label)
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("you will not see it again")).to_be_visible()
    value = page.get_by_label("New personal API key").inner_text()
    assert value.startswith("phx_") and len(value) > 20

    with httpx.Client(base_url=app_server.url, headers={"Authorization": f"Bearer {value}"}) as c:
        answer = c.get("/api/projects/")
        assert answer.status_code == 200 and 1 in [p["id"] for p in answer.json()["results"]]

    # The list shows the key by its label and mask only; the value is gone once dismissed,
    # and after a reload.
    keys = page.get_by_role("table", name="Your personal API keys")
    row = keys.get_by_role("row").filter(has_text=label)
    expect(row).to_contain_text(value[:8])
    page.get_by_role("button", name="I have copied it").click()
    expect(page.get_by_text(value)).to_have_count(0)
    page.reload()
    expect(row).to_contain_text(value[:8])
    assert value not in page.content()

    row.get_by_role("button", name=f"Revoke {label}").click()
    confirm = page.get_by_role("group", name=f"Revoke {label}?")
    expect(confirm).to_contain_text("Scripts using it stop working.")
    confirm.get_by_role("button", name=f"Yes, revoke {label}").click()
    expect(row).to_have_count(0)
    with httpx.Client(base_url=app_server.url, headers={"Authorization": f"Bearer {value}"}) as c:
        assert c.get("/api/projects/").status_code == 401


def send_warned_events(server: Server) -> str:
    """A duplicate (discarded) and a refused merge whose id is hostile text; the uuid sent twice."""
    repeated, received = str(uuid.uuid4()), server.status()["received"]
    batch = [
        {"event": "Plan purchased", "distinct_id": "ada", "uuid": repeated},
        {"event": "Plan purchased", "distinct_id": "ada", "uuid": repeated},
        {"event": "$identify", "distinct_id": HOSTILE, "properties": {"$anon_distinct_id": "null"}},
    ]
    answer = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    assert answer.status_code == 200
    server.wait_ingested(received + len(batch))
    return repeated


def test_ingestion_warnings_list_each_type_with_samples_for_the_current_project_only(
    app_server: Server, first_project_page: Page
) -> None:
    page = first_project_page
    repeated = send_warned_events(app_server)
    with app_server.api(API_KEY) as client:
        summary = client.get("/api/projects/1/ingestion/warnings/summary/").json()["results"]
    counts = {row["type"]: row["count"] for row in summary}

    page.goto("/ingestion-warnings")
    duplicate = page.get_by_role("row").filter(has_text="duplicate_event")
    expect(duplicate).to_have_count(1)
    cells = duplicate.get_by_role("cell")
    expect(cells.nth(0)).to_have_text("Discarded")
    expect(cells.nth(2)).to_have_text(str(counts["duplicate_event"]))
    expect(cells.nth(3)).to_have_text("a few seconds ago")
    chart = duplicate.get_by_role("img")
    expect(chart).to_have_attribute(
        "aria-label", re.compile(rf"^{counts['duplicate_event']} warnings? in the last 30 days")
    )

    toggle = duplicate.get_by_role("button", name="Duplicate event")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    samples = page.get_by_role("table", name=re.compile("^Latest"))
    expect(samples.get_by_role("row").filter(has_text=repeated)).to_have_count(1)

    merge = page.get_by_role("row").filter(has_text="cannot_merge_with_illegal_distinct_id")
    merge.get_by_role("button", name="Merge refused: placeholder id").click()
    expect(page.get_by_text(f'distinct_id: "{HOSTILE}"')).to_have_count(1)
    assert page.evaluate("window.__pwned") is None

    # Another project of the organization has none of them.
    status, other = page_api(page, "POST", "/api/projects/", {"name": "Quiet project"})
    assert status == 201
    page.goto("/settings")
    page.get_by_role("button", name="Switch to Quiet project").first.click()
    current_project(page).to_have_text("Quiet project")
    page.goto("/ingestion-warnings")
    expect(page.get_by_text("No warnings: every event ingestion read was stored")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="duplicate_event")).to_have_count(0)
    switch_project(page, 1)
    current_project(page).not_to_have_text("Quiet project")
    assert other["id"] != 1
