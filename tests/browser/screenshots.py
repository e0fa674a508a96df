"""`make screenshots`: a PNG of each built screen of the web app, into docs/ui/.

Starts a real server on a temporary data directory, photographs the empty project's
onboarding, sends a small generated dataset with posthog-python (a shop: page views,
autocaptured clicks, purchases with nested properties, sign-ups from a mobile app), then
photographs every screen in Debian's Chromium.
"""

from __future__ import annotations

import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import Page, sync_playwright
from posthog import Posthog

from browser_site import CHROMIUM, CHROMIUM_ARGS
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


def shoot(page: Page, path: str, out: Path, ready: str) -> None:
    page.goto(path)
    page.wait_for_selector(ready)
    page.wait_for_timeout(300)  # let fonts and layout settle
    page.screenshot(path=str(out))
    print(f"wrote {out}")


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
            shoot_sql_and_definitions(page, out_dir)
            shoot(page, "/persons", out_dir / "coming.png", "text=coming in a later version")
        finally:
            browser.close()
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/ui"))
