"""The official posthog-js (from npm, unmodified) in Chromium, pointed at Hedgerow with
`api_host`: the config handshake turns its autocapture on, and what it sends is stored."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Response, Route

from browser_site import POSTHOG_JS, Site, open_posthog_page, stored_events
from readback import as_json, subset, unique, wait_for_person
from server import TOKEN, Server

POSTHOG_VERSION = json.loads((POSTHOG_JS / "package.json").read_text())["version"]

MAIN = 'main:attr__id="main"attr_id="main"nth-child="1"nth-of-type="1"'
BODY = 'body:nth-child="2"nth-of-type="1"'
FORM = 'form:attr__action="#"attr__id="signup"attr_id="signup"nth-child="3"nth-of-type="1"'
EXPECTED = sorted(
    [
        (
            "click",
            "Buy now",
            'button.btn.primary:attr__class="btn primary"attr__id="buy"attr_id="buy"'
            f'nth-child="1"nth-of-type="1"text="Buy now";{MAIN};{BODY}',
        ),
        (
            "click",
            "Docs",
            'span.icon:attr__class="icon"attr__href="https://example.com/docs"'
            'href="https://example.com/docs"nth-child="1"nth-of-type="1"text="Docs";'
            'a:attr__href="https://example.com/docs"attr__id="ext"attr_id="ext"'
            f'href="https://example.com/docs"nth-child="2"nth-of-type="1"text="Docs";{MAIN};{BODY}',
        ),
        (
            "change",
            None,
            'input:attr__id="email"attr__name="email"attr_id="email"nth-child="1"nth-of-type="1";'
            f"{FORM};{MAIN};{BODY}",
        ),
        (
            "change",
            None,
            'input:attr__id="pw"attr__name="password"attr_id="pw"nth-child="2"nth-of-type="2";'
            f"{FORM};{MAIN};{BODY}",
        ),
        (
            "click",
            "Sign up",
            'button:attr__id="go"attr__type="submit"attr_id="go"nth-child="3"nth-of-type="1"'
            f'text="Sign up";{FORM};{MAIN};{BODY}',
        ),
        ("submit", None, f"{FORM};{MAIN};{BODY}"),
        (
            "click",
            "Pricing",
            'button:attr__id="to-pricing"attr_id="to-pricing"nth-child="5"nth-of-type="2"'
            f'text="Pricing";{MAIN};{BODY}',
        ),
    ],
    key=repr,
)
PLAN = {
    "price": 1599,
    "planId": "XYZ12345",
    "frequency": "monthly",
    "features": {"seats": 5, "sso": True, "addons": ["audit-log"], "limits": {"x": None}},
}
PASSWORD = "correct-horse-battery-staple-42"


@pytest.mark.parametrize("handshake", ["config.js", "config"])
def test_posthog_js_autocapture_page_views_and_custom_events(
    server: Server, site: Site, page: Page, handshake: str
) -> None:
    answers: list[tuple[str, int]] = []

    def record(response: Response) -> None:
        if response.url.startswith(server.url):
            answers.append((response.url.removeprefix(server.url).split("?")[0], response.status))

    page.on("response", record)
    if handshake == "config":
        # Sites that do not serve the script form: posthog-js falls back to the JSON config.
        def no_script(route: Route) -> None:
            route.fulfill(status=404, body="", headers={"Access-Control-Allow-Origin": "*"})

        page.route(f"{server.url}/array/{TOKEN}/config.js", no_script)
    anonymous = open_posthog_page(page, site.url + "/posthog.html")
    user = unique("posthog-js-user")

    page.click("#buy", position={"x": 4, "y": 4})
    page.click("#ext span")
    page.fill("#email", "grace.hopper@example.com")
    page.press("#email", "Tab")
    page.fill("#pw", PASSWORD)
    page.press("#pw", "Tab")
    page.click("#go")
    page.click("#secret")  # inside ph-no-capture
    page.click("#to-pricing")  # history.pushState
    page.evaluate("plan => posthog.capture('Plan purchased', plan)", PLAN)
    stored_events(server, anonymous, 10, page)
    page.evaluate("id => posthog.identify(id, {email: 'grace@example.com'})", user)
    page.evaluate("posthog.capture('after identify')")

    rows = stored_events(server, anonymous, 10, page)
    autocaptured = [row for row in rows if row["event"] == "$autocapture"]
    summary = [
        (r["properties"]["$event_type"], r["properties"].get("$el_text"), r["elements_chain"])
        for r in autocaptured
    ]
    assert sorted(summary, key=repr) == EXPECTED
    for row in rows:
        assert row["properties"]["$lib"] == "web"
        assert row["properties"]["$lib_version"] == POSTHOG_VERSION
    views = [row["properties"] for row in rows if row["event"] == "$pageview"]
    assert [(v["$pathname"], v.get("navigation_type")) for v in views] == [
        ("/posthog.html", None),
        ("/pricing", "pushState"),
    ]
    [purchase] = [row["properties"] for row in rows if row["event"] == "Plan purchased"]
    assert as_json(subset(purchase, PLAN)) == as_json(PLAN)

    person = wait_for_person(server, user, {"email": "grace@example.com"})
    assert sorted(person["distinct_ids"]) == sorted([anonymous, user])
    identified = stored_events(server, user, 2, page)
    assert sorted(row["event"] for row in identified) == ["$identify", "after identify"]
    assert {row["person_id"] for row in rows + identified} == {person["id"]}

    everything = json.dumps(server.query({"kind": "EventsQuery", "select": ["*"], "limit": 10_000}))
    assert PASSWORD not in everything and "grace.hopper@example.com" not in everything

    # The handshake: every call posthog-js made to Hedgerow was answered 200.
    paths = {path for path, _ in answers}
    config_path = f"/array/{TOKEN}/{handshake}"
    assert config_path in paths
    for _ in range(200):  # identify reloads flags, a moment later
        if "/flags/" in {path for path, _ in answers}:
            break
        page.wait_for_timeout(50)
    assert "/flags/" in {path for path, _ in answers}
    allowed_failures = {(f"/array/{TOKEN}/config.js", 404)} if handshake == "config" else set()
    assert {answer for answer in answers if answer[1] != 200} <= allowed_failures
