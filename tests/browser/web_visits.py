"""The browser part of the web analytics oracle's dataset: visits to a small site on
127.0.0.1 (pages/site_posthog.html under /ph/, pages/site_hedgerow.html under /hr/) by the
real posthog-js and hedgerow.js in Chromium, each visit a new browser (a new visitor).

A visitor arrives by a link on another site (its page is answered by Playwright's routing,
so `document.referrer` is that site's origin, as a real link would set it), or directly, on
a landing URL that may carry UTM values and click ids; then follows links, types URLs or
clicks a button; then leaves (about:blank, so the SDK sends its `$pageleave`).

Chromium's own user agent says `HeadlessChrome`, which the crawler list names: a visit
without `agent` is a bot's (flagged at ingestion, left out of web analytics by default);
the others set a real browser's user agent, so they count as people do."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Browser, Page, Request, Route
from web_dataset import AGENTS

from server import Server

LOADED = {
    "ph": "window.posthog && posthog.__loaded && posthog.autocapture?.isEnabled",
    "hr": "window.hedgerow && hedgerow.__loaded",
}
DISTINCT_ID = {"ph": "posthog.get_distinct_id()", "hr": "hedgerow.get_distinct_id()"}


@dataclass(frozen=True)
class Visit:
    sdk: str  # "ph" (posthog-js) or "hr" (hedgerow.js)
    agent: str | None  # a key of AGENTS; None: headless Chromium's own (a bot)
    referrer: str | None  # the page with the link the visitor follows to the landing URL
    landing: str  # under the SDK's prefix, with its query
    steps: tuple[str, ...] = ()  # "link:<path>", "goto:<path>" (typed), "click" (a button)
    channel: str = "Direct"  # what the first event's values make it (docs' rules)

    @property
    def referring_domain(self) -> str:
        return urlsplit(self.referrer).hostname or "$direct" if self.referrer else "$direct"

    @property
    def landing_values(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.landing).query))


GOOGLE_ADS = "utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=Cj0KCQ"
NEWSLETTER = "utm_source=newsletter&utm_medium=email&utm_campaign=december"
VISITS = [
    Visit(
        "ph",
        "chrome-windows",
        "http://www.google.com/search?q=hedgerow",
        "",
        ("link:pricing", "link:docs"),
        "Organic Search",
    ),
    Visit(
        "ph", "safari-iphone", "http://www.google.com/", f"pricing?{GOOGLE_ADS}", (), "Paid Search"
    ),
    Visit("ph", "firefox-linux", None, f"blog/hello?{NEWSLETTER}", ("goto:pricing",), "Email"),
    Visit("ph", None, None, "docs", ("link:blog/hello",), "Direct"),
    Visit(
        "hr", "chrome-android", "http://t.co/x1", "blog/hello", ("link:", "click"), "Organic Social"
    ),
    Visit(
        "hr",
        "chrome-windows",
        "http://blog.example.org/post",
        "docs?utm_campaign=launch",
        (),
        "Referral",
    ),
    Visit(
        "hr",
        "safari-iphone",
        "http://l.facebook.com/l.php",
        "?fbclid=IwAR0x",
        ("link:pricing",),
        "Organic Social",
    ),
    Visit("hr", "firefox-linux", None, "pricing", ("click",), "Direct"),
]


def _referrer_page(landing: str) -> str:
    return f'<!doctype html><html><body><a id="go" href="{landing}">Go</a></body></html>'


def run_visit(browser: Browser, site_url: str, server: Server, visit: Visit) -> str:
    """One visit in a new browser; answers the visitor's distinct_id once every request to
    Hedgerow has been answered and the visit's last `$pageleave` is stored."""
    options: dict[str, Any] = {"timezone_id": "UTC"}
    if visit.agent:
        options["user_agent"] = AGENTS[visit.agent][0]
    context = browser.new_context(**options)
    pending: set[Request] = set()

    def sent(request: Request) -> None:
        if request.url.startswith(server.url):
            pending.add(request)

    def answered(request: Request) -> None:
        pending.discard(request)

    context.on("request", sent)
    context.on("requestfinished", answered)
    context.on("requestfailed", answered)
    prefix = f"{site_url}/{visit.sdk}/"
    landing = prefix + visit.landing
    try:
        page = context.new_page()
        if visit.referrer:
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(visit.referrer))

            def answer(route: Route) -> None:
                route.fulfill(status=200, content_type="text/html", body=_referrer_page(landing))

            context.route(f"{origin}/**", answer)
            page.goto(visit.referrer)
            with page.expect_navigation():
                page.click("#go")
        else:
            page.goto(landing)
        page.wait_for_function(LOADED[visit.sdk])
        for step in visit.steps:
            _step(page, prefix, visit.sdk, step)
        distinct_id: str = page.evaluate(DISTINCT_ID[visit.sdk])
        last_url = page.url
        page.goto("about:blank")  # the page hides: the SDK sends `$pageleave` by beacon
        _wait_for_leave(page, server, pending, distinct_id, last_url)
        return distinct_id
    finally:
        context.close()


def _step(page: Page, prefix: str, sdk: str, step: str) -> None:
    action, _, path = step.partition(":")
    if action == "link":
        with page.expect_navigation():
            page.click(f"nav a[href='/{sdk}/{path}']")
    elif action == "goto":
        page.goto(prefix + path)
    else:
        page.click("#subscribe")
        return
    page.wait_for_function(LOADED[sdk])


def _wait_for_leave(
    page: Page, server: Server, pending: set[Request], distinct_id: str, url: str
) -> None:
    deadline = time.monotonic() + 30
    while True:
        left = [
            e
            for e in server.events(event="$pageleave")
            if e["distinct_id"] == distinct_id and e["properties"].get("$current_url") == url
        ]
        if (left and not pending) or time.monotonic() > deadline:
            assert left, f"no $pageleave of {url} from {distinct_id}"
            assert not pending, [r.url for r in pending]
            return
        page.wait_for_timeout(50)  # Playwright serves its events meanwhile
