"""`make screenshots`: a PNG of each built screen of the web app, into docs/ui/.

Starts a real server on a temporary data directory, photographs the empty project's
onboarding, sends a small generated dataset with posthog-python (a shop: page views,
autocaptured clicks, purchases with nested properties, sign-ups from a mobile app), then
photographs every screen in Debian's Chromium; ingestion warnings get a month of
earlier ones written into the state file (a server records them only as they happen).
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from playwright.sync_api import Page, sync_playwright
from posthog import Posthog
from web_shots import shoot_web

from browser_site import CHROMIUM, CHROMIUM_ARGS
from insight_shots import shoot_insights
from insights_data import send_insights_dataset
from server import TOKEN, Server
from webapp import ADMIN, sign_in

PEOPLE = [
    ("ada", "ada.lovelace@example.com", "Ada Lovelace"),
    ("grace", "grace.hopper@example.com", "Grace Hopper"),
    ("alan", None, "Alan Turing"),
    ("0190b5a4-7b1c-7000-8000-00000000beef", None, None),
    ("katherine", "katherine.johnson@example.com", None),
]
PAGES = ["/", "/pricing", "/docs/getting-started", "/checkout", "/blog/hedgerows-and-wildlife"]
BUTTONS = [
    (
        'button.btn.primary:attr__class="btn primary"attr__id="buy"nth-child="1"text="Purchase"',
        "/checkout",
    ),
    ('a:attr__href="/pricing"href="/pricing"nth-child="2"text="Pricing"', "/"),
    ('button:attr__type="submit"nth-child="3"text="Add"', "/checkout"),
    ('form:attr__id="signup"nth-child="1"', "/"),
    ('input:attr__name="email"attr__type="email"nth-child="1"', "/"),
]
# Each person's device, as a browser SDK reports it (people's initial properties come from it).
DEVICES = {
    "ada": {"$browser": "Firefox", "$os": "Linux", "utm_source": "newsletter"},
    "grace": {"$browser": "Safari", "$os": "Mac OS X"},
    "alan": {"$browser": "Chrome", "$os": "Windows", "$referring_domain": "search.example"},
}
EVENT_TYPES = {"button": "click", "a": "click", "form": "submit", "input": "change"}
ANCESTORS = (
    'div.card:attr__class="card"nth-child="2";main:attr__id="main"nth-child="1";body:nth-child="2"'
)
SITE = "https://shop.example"


def send_dataset(server: Server, seed: int = 15) -> None:
    rng = random.Random(seed)
    client = Posthog(TOKEN, host=server.url, sync_mode=True)
    now = datetime.now(UTC)
    sent = 0
    for minutes_ago in sorted(rng.sample(range(1, 600), 70), reverse=True):
        distinct_id, email, name = rng.choice(PEOPLE)
        when = now - timedelta(minutes=minutes_ago, seconds=rng.randint(0, 59))
        person = {k: v for k, v in (("email", email), ("name", name)) if v}
        roll = rng.random()
        if roll < 0.4:
            path = rng.choice(PAGES)
            properties = {"$current_url": SITE + path, "$pathname": path, "$lib": "web"}
            event = "$pageview"
        elif roll < 0.75:
            element, path = rng.choice(BUTTONS)
            tag = element.split(":")[0].split(".")[0]
            event = "$autocapture"
            properties = {
                "$event_type": EVENT_TYPES[tag],
                "$elements_chain": f"{element};{ANCESTORS}",
                "$current_url": SITE + path,
                "$lib": "web",
            }
        elif roll < 0.9:
            event = "Plan purchased"
            properties = {
                "price": rng.choice([1599, 4900, 99]),
                "planId": rng.choice(["XYZ12345", "ABC777"]),
                "features": {"seats": rng.randint(1, 20), "sso": rng.random() < 0.5},
            }
        else:
            event = "Signed up"
            properties = {"$screen_name": "Welcome", "$lib": "posthog-ios", "source": "app"}
        if person:
            properties["$set"] = person
        if properties.get("$lib") == "web":
            properties.update(DEVICES.get(distinct_id, {}))
        client.capture(event, distinct_id=distinct_id, properties=properties, timestamp=when)
        sent += 1
    client.capture(
        "Plan purchased",
        distinct_id="ada",
        properties={
            "$current_url": SITE + "/checkout",
            "price": 1599,
            "planId": "XYZ12345",
            "frequency": "monthly",
            "features": {"seats": 5, "sso": True, "limits": {"projects": 10, "events": 1_000_000}},
            "coupons": ["SPRING", "LOYAL"],
            "$set": {"email": "ada.lovelace@example.com", "name": "Ada Lovelace"},
        },
    )
    client.shutdown()
    server.wait_ingested(sent + 1)


DAY = 24 * 3600


def _event(name: str, distinct_id: str, **properties: Any) -> dict[str, Any]:
    return {"event": name, "distinct_id": distinct_id, "properties": properties}


def send_warned_events(server: Server) -> None:
    """Events that ingestion discards or changes, sent as an SDK would."""
    repeated = str(uuid.uuid4())
    received = server.status()["received"]
    batch = [
        {**_event("Plan purchased", "ada"), "uuid": repeated},
        {**_event("Plan purchased", "ada"), "uuid": repeated},
        _event("$identify", "grace", **{"$anon_distinct_id": "undefined"}),
        _event("$identify", "alan", **{"$anon_distinct_id": "[object Object]"}),
        _event("$identify", "kj", **{"$anon_distinct_id": "x", "$process_person_profile": False}),
        _event("Checkout " + "step " * 50, "ada"),
        _event("Plan purchased", "ada", **{"$process_person_profile": "yes"}),
    ]
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    response.raise_for_status()
    server.wait_ingested(received + len(batch))


def add_older_warnings(data_dir: Path, seed: int = 15) -> None:
    """A month of earlier warnings, written into ingestion's state file beside the running
    server: a real server can only record warnings as they happen, and the chart needs days."""
    rng = random.Random(seed)
    now = time.time()
    rows = []
    for kind, weight in (
        ("duplicate_event", 3),
        ("cannot_merge_with_illegal_distinct_id", 2),
        ("invalid_process_person_profile", 1),
    ):
        for days_ago in range(1, 30):
            for _ in range(rng.randint(0, weight * 2) if rng.random() < 0.6 else 0):
                details = {"distinct_id": rng.choice(["ada", "grace"]), "other_distinct_id": "null"}
                when = now - days_ago * DAY - rng.randint(0, DAY - 1)
                rows.append((1, kind, str(uuid.uuid4()), json.dumps(details), when))
    rows.sort(key=lambda row: row[4])  # recorded in time order, as ingestion does
    with sqlite3.connect(data_dir / "ingestion.sqlite3", timeout=30) as connection:
        connection.executemany(
            "INSERT INTO warnings (team_id, type, event_uuid, details, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )


def shoot_settings_and_warnings(page: Page, server: Server, out_dir: Path) -> None:
    add_older_warnings(server.data_dir)
    send_warned_events(server)
    page.goto("/ingestion-warnings")
    page.get_by_role("button", name="Event name cut").click()
    page.wait_for_selector(".samples tbody tr")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "ingestion-warnings.png"))
    print(f"wrote {out_dir / 'ingestion-warnings.png'}")

    page.goto("/settings")
    page.wait_for_selector("text=Project token")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "settings.png"))
    print(f"wrote {out_dir / 'settings.png'}")

    page.get_by_label("Key label").fill("Nightly export")
    page.get_by_role("button", name="Create key").click()
    page.wait_for_selector("text=you will not see it again")
    page.locator("#settings-keys").evaluate("heading => heading.scrollIntoView()")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "settings-keys.png"))
    print(f"wrote {out_dir / 'settings-keys.png'}")


def shoot_activity(page: Page, out_dir: Path) -> None:
    """Settings → Activity after the settings, actions and erasure shots made their entries."""
    page.goto("/settings")
    page.wait_for_selector(".activity-table tbody tr")
    page.locator("#settings-activity").evaluate("heading => heading.scrollIntoView()")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "settings-activity.png"))
    print(f"wrote {out_dir / 'settings-activity.png'}")


def shoot(page: Page, path: str, out: Path, ready: str) -> None:
    page.goto(path)
    page.wait_for_selector(ready)
    page.wait_for_timeout(300)  # let fonts and layout settle
    page.screenshot(path=str(out))
    print(f"wrote {out}")


def shoot_persons(page: Page, out_dir: Path) -> None:
    """The persons list, a search, and Ada's page (properties and her events)."""
    shoot(page, "/persons", out_dir / "persons.png", "tbody tr >> nth=3")
    shoot(page, "/persons?search=example.com", out_dir / "persons-search.png", "tbody tr")
    page.goto("/persons?search=ada.lovelace")
    page.get_by_role("link", name="ada.lovelace@example.com").click()
    page.wait_for_selector("text=Initial browser")
    page.wait_for_selector(".person-events tbody tr >> nth=2")
    page.set_viewport_size({"width": 1280, "height": 1900})  # the page scrolls inside
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "person.png"))
    print(f"wrote {out_dir / 'person.png'}")
    page.set_viewport_size({"width": 1280, "height": 800})
    shoot(page, "/persons/nobody-here", out_dir / "person-not-found.png", "text=Person not found")


def shoot_data_lifecycle(page: Page, out_dir: Path) -> None:
    """Ada's "Delete person" dialog (with her events), and the settings' Data and Cookieless
    counting sections."""
    page.goto("/persons?search=ada.lovelace")
    page.get_by_role("link", name="ada.lovelace@example.com").click()
    page.get_by_role("button", name="Delete person").click()
    page.get_by_label("Also delete all of their events").check()
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "person-delete.png"))
    print(f"wrote {out_dir / 'person-delete.png'}")
    page.get_by_role("button", name="Cancel").click()
    page.goto("/settings")
    page.wait_for_selector("text=Events stored")
    page.locator("#settings-data").evaluate("heading => heading.scrollIntoView()")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "settings-data.png"))
    print(f"wrote {out_dir / 'settings-data.png'}")
    page.locator("#settings-cookieless").evaluate("heading => heading.scrollIntoView()")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "settings-cookieless.png"))
    print(f"wrote {out_dir / 'settings-cookieless.png'}")


def shoot_actions(page: Page, server: Server, out_dir: Path) -> None:
    """/actions empty and with actions, and the editor of the guide's drift action with its
    live preview."""
    shoot(page, "/actions", out_dir / "actions-empty.png", "text=No actions yet")
    drift = {
        "name": "Purchased a plan",
        "description": "The checkout button (it read 'Purchase', now 'Add') or the backend event.",
        "steps": [
            {"event": "$autocapture", "text": "Purchase", "url": "/checkout"},
            {"event": "$autocapture", "text": "Add"},
            {
                "event": "Plan purchased",
                "properties": [{"key": "price", "operator": "gt", "value": 1000, "type": "event"}],
            },
        ],
    }
    pricing = {"name": "Viewed pricing", "steps": [{"event": "$pageview", "url": "/pricing"}]}
    signup = {
        "name": "Signed up in the app",
        "steps": [{"event": "Signed up", "properties": [{"key": "source", "value": "app"}]}],
    }
    with server.api() as api:
        made = [
            api.post("/api/projects/1/actions/", json=body).json()
            for body in (drift, pricing, signup)
        ]
    shoot(page, "/actions", out_dir / "actions.png", "text=Signed up in the app")
    page.set_viewport_size({"width": 1280, "height": 1960})  # the screen scrolls inside
    page.goto(f"/actions/{made[0]['id']}")
    page.wait_for_selector("text=matched in the last 30 days")
    page.wait_for_selector(".preview-table tbody tr")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "action-editor.png"))
    print(f"wrote {out_dir / 'action-editor.png'}")
    page.set_viewport_size({"width": 1280, "height": 800})


SQL_EXAMPLE = """SELECT properties.planId AS plan,
       count() AS purchases,
       sum(properties.price) AS revenue,
       uniq(person_id) AS buyers
FROM events
WHERE event = 'Plan purchased'
GROUP BY plan
ORDER BY revenue DESC"""


def shoot_sql_and_definitions(page: Page, out_dir: Path) -> None:
    """/sql with a result, with an error and with completion open; the definitions lists."""
    query = urlencode({"q": SQL_EXAMPLE})
    shoot(page, f"/sql?{query}", out_dir / "sql.png", ".sql-table tbody tr >> nth=1")
    failing = urlencode({"q": "SELECT event, 1 + properties.planId\nFROM events\nLIMIT 10"})
    shoot(page, f"/sql?{failing}", out_dir / "sql-error.png", ".sql-error")
    page.goto("/sql")
    page.get_by_role("textbox", name="SQL query").click()
    page.keyboard.type("SELECT properties.")
    page.wait_for_selector(".cm-tooltip-autocomplete")
    page.screenshot(path=str(out_dir / "sql-completion.png"))
    print(f"wrote {out_dir / 'sql-completion.png'}")
    events = out_dir / "data-management-events.png"
    shoot(page, "/data-management/events", events, "tbody tr >> nth=3")
    properties = out_dir / "data-management-properties.png"
    shoot(page, "/data-management/properties", properties, "tbody tr >> nth=5")
    people = out_dir / "data-management-person-properties.png"
    shoot(page, "/data-management/properties?type=person", people, "tbody tr >> nth=1")


def shoot_insights_and_dashboards(page: Page, server: Server, out_dir: Path) -> None:
    """/insights with saved insights, /dashboards, and the "Product analytics" dashboard
    (every tile drawn) with a text card."""
    trends = {
        "kind": "TrendsQuery",
        "series": [{"kind": "EventsNode", "event": "Plan purchased", "math": "total"}],
        "interval": "hour",
        "dateRange": {"date_from": "-24h"},
    }
    saved = [
        ("Purchases by hour", "Plan purchased, every hour of the last day", trends),
        (
            "Checkout funnel",
            "",
            {
                "kind": "FunnelsQuery",
                "series": [
                    {"kind": "EventsNode", "event": "$pageview"},
                    {"kind": "EventsNode", "event": "Plan purchased"},
                ],
                "dateRange": {"date_from": "-7d"},
            },
        ),
    ]
    with server.api() as api:
        for name, description, query in saved:
            api.post(
                "/api/projects/1/insights/",
                json={"name": name, "description": description, "query": query},
            ).raise_for_status()
        api.post(
            "/api/projects/1/dashboards/",
            json={"name": "Checkout", "description": "Purchases and the way there"},
        ).raise_for_status()
        boards = api.get("/api/projects/1/dashboards/").json()["results"]
        [product] = [b for b in boards if b["name"] == "Product analytics"]
        api.patch(
            f"/api/projects/1/dashboards/{product['id']}/",
            json={
                "pinned": True,
                "tiles": [
                    {
                        "text": {
                            "body": "Numbers of the shop since launch.\nAsk Ada about the funnel."
                        }
                    }
                ],
            },
        ).raise_for_status()
    page.goto("/insights")
    star = page.get_by_role("button", name="Favorite Purchases by hour")
    star.click()  # starred by the signed-in user: the row says who changed it last
    page.wait_for_selector("text=by ada@example.com")
    shoot(page, "/insights", out_dir / "insights.png", "tbody tr >> nth=3")
    shoot(page, "/dashboards", out_dir / "dashboards.png", "tbody tr >> nth=1")
    page.set_viewport_size({"width": 1280, "height": 1500})  # the screen scrolls inside
    page.goto(f"/dashboard/{product['id']}")
    page.wait_for_selector("article.tile .tile-chart >> nth=5")
    page.wait_for_selector("text=Last updated")
    page.wait_for_timeout(600)  # let the charts' entry animation end
    page.screenshot(path=str(out_dir / "dashboard.png"))
    print(f"wrote {out_dir / 'dashboard.png'}")
    page.set_viewport_size({"width": 1280, "height": 800})


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        server = Server(Path(tmp) / "data", **ADMIN).start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            anonymous = browser.new_context(
                base_url=server.url, viewport={"width": 1280, "height": 800}
            )
            shoot(anonymous.new_page(), "/login", out_dir / "login.png", "text=Sign in to Hedgerow")
            setup = anonymous.new_page()
            shoot(
                setup, "/setup?token=from-the-banner", out_dir / "setup.png", "text=Set up Hedgerow"
            )
            anonymous.close()
            page = sign_in(browser, server).new_page()
            shoot(page, "/", out_dir / "onboarding.png", "text=Waiting for the first event")
            send_dataset(server)
            shoot(page, "/events", out_dir / "events.png", "tbody tr >> nth=10")
            filters = (
                '/events?event=Plan+purchased&after=-7d&properties=[{"key":"price","operator":'
                '"gt","type":"event","value":"1000"}]'
            )
            shoot(page, filters, out_dir / "events-filtered.png", "tbody tr >> nth=1")
            page.goto("/events?event=%24autocapture")
            page.get_by_role("link", name="Clicked button with text 'Purchase'").first.click()
            page.wait_for_selector(".element-chain")
            page.screenshot(path=str(out_dir / "event-autocapture.png"), full_page=True)
            print(f"wrote {out_dir / 'event-autocapture.png'}")
            page.goto("/events?event=Plan+purchased")
            page.get_by_role("row").nth(1).get_by_role("link").first.click()
            page.wait_for_selector("text=Sent with the event")
            page.screenshot(path=str(out_dir / "event-detail.png"), full_page=True)
            print(f"wrote {out_dir / 'event-detail.png'}")
            shoot_persons(page, out_dir)
            shoot_data_lifecycle(page, out_dir)
            shoot_actions(page, server, out_dir)
            shoot_settings_and_warnings(page, server, out_dir)
            shoot_activity(page, out_dir)
            shoot_sql_and_definitions(page, out_dir)
            send_insights_dataset(server)
            shoot_insights(page, out_dir)
            shoot_insights_and_dashboards(page, server, out_dir)
            shoot_web(page, server, out_dir)
        finally:
            browser.close()
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/ui"))
