"""Accessibility of every screen of the web app contract, with data present, in Chromium:
every control (button, link, text field, select, checkbox, radio, tab...) has an accessible
name as Chromium computes it for screen readers (its accessibility tree, read over the
DevTools protocol), each screen has exactly one <h1> and no skipped heading level, every
table header cell has a scope, and the sidebar marks the screen's own link as current."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from insight_shots import INSIGHTS, insight_path
from readback import wait_for_events
from server import TOKEN, Server

# Roles a user operates; each needs a name to be told apart by a screen reader.
CONTROL_ROLES = {
    "button",
    "link",
    "textbox",
    "searchbox",
    "combobox",
    "listbox",
    "checkbox",
    "radio",
    "spinbutton",
    "slider",
    "switch",
    "tab",
    "menuitem",
}


@dataclass(frozen=True)
class Screen:
    path: str
    ready: str  # a selector shown once the screen's data is on it
    nav: str | None  # the sidebar link marked current, if any


def unnamed_controls(page: Page) -> list[str]:
    """The controls on the page without an accessible name, as Chromium computes names."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
        found = []
        for node in nodes:
            role = node.get("role", {}).get("value")
            name = str(node.get("name", {}).get("value", "")).strip()
            if node.get("ignored") or role not in CONTROL_ROLES or name:
                continue
            html = session.send("DOM.getOuterHTML", {"backendNodeId": node["backendDOMNodeId"]})
            found.append(f"{role}: {html['outerHTML'][:160]}")
        return found
    finally:
        session.detach()


STRUCTURE = """() => {
    const problems = [];
    const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")];
    let previous = 0;
    for (const heading of headings) {
        const level = Number(heading.tagName[1]);
        if (level > previous + 1) {
            problems.push(`h${level} after h${previous}: ${heading.textContent}`);
        }
        previous = level;
    }
    for (const cell of document.querySelectorAll("th")) {
        if (!["col", "row", "colgroup", "rowgroup"].includes(cell.getAttribute("scope"))) {
            problems.push(`th without scope: ${cell.outerHTML.slice(0, 120)}`);
        }
    }
    for (const table of document.querySelectorAll("table")) {
        if (!table.querySelector("th")) problems.push(`table without th: ${table.className}`);
    }
    return { h1: document.querySelectorAll("h1").length, problems };
}"""


def check_screen(page: Page, screen: Screen) -> list[str]:
    """Open the screen, wait for its data, and list what it gets wrong."""
    page.goto(screen.path)
    return audit(page, screen)


def audit(page: Page, screen: Screen) -> list[str]:
    """What the page as it is now gets wrong (names, h1, heading order, scopes, sidebar)."""
    page.locator(screen.ready).first.wait_for()
    # Lazy chunks and late queries settle: wait until no request is in flight.
    page.wait_for_load_state("networkidle")
    found = [f"{screen.path}: unnamed {control}" for control in unnamed_controls(page)]
    structure: dict[str, Any] = page.evaluate(STRUCTURE)
    if structure["h1"] != 1:
        found.append(f"{screen.path}: {structure['h1']} <h1> elements, not 1")
    found += [f"{screen.path}: {problem}" for problem in structure["problems"]]
    if screen.nav is not None:
        current = page.get_by_role("navigation", name="Screens").locator("[aria-current=page]")
        if current.all_inner_texts() != [screen.nav]:
            found.append(f"{screen.path}: sidebar marks {current.all_inner_texts()} current")
    return found


@pytest.fixture(scope="module")
def data(app_server: Server) -> dict[str, Any]:
    """An autocapture click, a page view and a purchase by a person with an email, an
    action, and a duplicate event (an ingestion warning)."""
    marker = uuid.uuid4().hex[:8]
    chain = 'button.buy:attr__class="buy"nth-child="1"text="Purchase";body:nth-child="1"'
    repeated = str(uuid.uuid4())
    batch: list[dict[str, Any]] = [
        {
            "event": "$autocapture",
            "distinct_id": f"ada-{marker}",
            "properties": {
                "$event_type": "click",
                "$elements_chain": chain,
                "$current_url": "https://shop.example/checkout",
                "$set": {"email": f"ada-{marker}@example.com"},
            },
        },
        {"event": "$pageview", "distinct_id": f"ada-{marker}", "properties": {}},
        {"event": "Plan purchased", "distinct_id": f"ada-{marker}", "uuid": repeated},
        {"event": "Plan purchased", "distinct_id": f"ada-{marker}", "uuid": repeated},
    ]
    answer = httpx.post(app_server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    assert answer.status_code == 200
    [click] = wait_for_events(app_server, "$autocapture", 1, distinct_id=f"ada-{marker}")
    wait_for_events(app_server, "Plan purchased", 1, distinct_id=f"ada-{marker}")
    action = {
        "name": "Purchased",
        "steps": [
            {"event": "$autocapture", "text": "Purchase"},
            {
                "event": "Plan purchased",
                "properties": [{"key": "price", "operator": "gt", "value": 1, "type": "event"}],
            },
        ],
    }
    with app_server.api() as client:
        made = client.post("/api/projects/1/actions/", json=action)
        assert made.status_code == 201
    return {"event": click, "action_id": made.json()["id"]}


def signed_in_screens(data: dict[str, Any]) -> list[Screen]:
    filters = urlencode(
        {
            "event": "Plan purchased",
            "properties": '[{"key":"price","operator":"gt","type":"event","value":"1"}]',
        }
    )
    sql = urlencode({"q": "SELECT event, count() FROM events GROUP BY event"})
    event = data["event"]
    return [
        Screen("/events", "tbody tr >> text=Pageview", "Activity"),
        Screen(f"/events?{filters}", ".filter-row", "Activity"),
        Screen(f"/events/{event['uuid']}", ".element-chain", "Activity"),
        Screen("/persons", "tbody tr", "Persons"),
        Screen(f"/persons/{event['person_id']}", ".person-events tbody tr", "Persons"),
        Screen("/actions", "tbody tr", "Actions"),
        Screen("/actions/new", "text=matched in the last 30 days", "Actions"),
        Screen(f"/actions/{data['action_id']}", ".preview-table tbody tr", "Actions"),
        Screen("/data-management/events", "tbody tr", "Data management"),
        Screen("/data-management/properties", "tbody tr", "Data management"),
        Screen("/data-management/properties?type=person", "tbody tr", "Data management"),
        Screen(f"/sql?{sql}", ".sql-table tbody tr", "SQL"),
        Screen("/ingestion-warnings", "tbody tr", "Ingestion warnings"),
        Screen("/settings", "text=Project token", "Settings"),
        Screen("/insights", "tbody tr", "Insights"),
        Screen("/dashboards", "tbody tr", "Dashboards"),
        Screen("/dashboard/1", "article.tile .tile-chart >> nth=5", "Dashboards"),
        Screen("/web", ".web-tile[role=group] >> nth=4", "Web analytics"),
        Screen("/persons/nobody-at-all", "text=Person not found", "Persons"),
        *insight_screens(),
    ]


def insight_screens() -> list[Screen]:
    """The insight editor on each kind, with a series filter, a global filter and a rule."""
    screens = []
    ready = ".insight-result[aria-busy=false] >> figure, table, .empty"
    for name in ("trends-line", "funnel", "retention", "paths", "lifecycle", "sql"):
        query = dict(INSIGHTS[name])
        if "series" in query:
            plan = {"key": "plan", "operator": "exact", "type": "person", "value": "free"}
            query["series"] = [query["series"][0] | {"properties": [plan]}, *query["series"][1:]]
            query["properties"] = [{"key": "$browser", "operator": "is_set", "type": "event"}]
        screens.append(Screen(insight_path(query), ready, None))
    return screens


def test_every_screen_names_its_controls_and_has_one_h1(
    app_page: Page, data: dict[str, Any]
) -> None:
    page, problems = app_page, []
    for screen in signed_in_screens(data):
        problems += check_screen(page, screen)

    # Opened parts: a warning type's samples, a new key shown once.
    page.goto("/ingestion-warnings")
    page.get_by_role("button", name="Duplicate event").click()
    problems += audit(page, Screen("/ingestion-warnings (samples)", ".samples tbody tr", None))
    one_bar = {
        "kind": "TrendsQuery",
        "series": [{"kind": "EventsNode", "event": None, "math": "dau"}],
        "interval": "month",
        "dateRange": {"date_from": "-0mStart"},
        "trendsFilter": {"display": "ActionsBar"},
    }
    page.goto(insight_path(one_bar))
    canvas = page.locator(".insight-result[aria-busy=false] figure canvas")
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": box["width"] / 2, "y": box["height"] * 0.75})
    problems += audit(page, Screen("/insights/new (persons of a bar)", "dialog tbody tr", None))
    page.goto("/settings")
    page.get_by_label("Key label").fill("accessibility")
    page.get_by_role("button", name="Create key").click()
    problems += audit(page, Screen("/settings (new key)", "text=you will not see it again", None))
    assert problems == []


def test_onboarding_sign_in_and_setup_name_their_controls(
    app_page: Page, app_server: Server, chromium: Browser
) -> None:
    # The onboarding shows in a project without events.
    page, problems = app_page, []
    page.goto("/settings")
    page.get_by_label("New project name").fill("Empty project")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator(".sidebar select option:checked")).to_have_text("Empty project")
    problems += check_screen(page, Screen("/", "text=Waiting for the first event", None))
    page.locator(".sidebar").get_by_label(re.compile("^Project")).select_option("1")
    expect(page.locator(".sidebar select option:checked")).not_to_have_text("Empty project")

    context = chromium.new_context(base_url=app_server.url)
    try:
        anonymous = context.new_page()
        problems += check_screen(anonymous, Screen("/login", "text=Sign in to Hedgerow", None))
        problems += check_screen(anonymous, Screen("/setup?token=from-the-banner", "h1", None))
    finally:
        context.close()
    assert problems == []
