"""The API part of the web analytics oracle's dataset: sessions over four UTC days sent to
/batch/ as an SDK would send them, from addresses the shipped GeoIP database places, with
referrers, UTM links and click ids for most channel types, several sessions per person, a
merged person, a crawler, bounces at the 10-second edge and a session across midnight.

User agents are real browsers' (the browser visits use them too), plus two that are bots:
Googlebot's and headless Chromium's own (`HeadlessChrome`), both on the crawler list the
server flags with; the oracle knows which is which from this table, not from the server."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

# name -> (user agent, $browser, $os, $device_type): what a browser SDK reads from the agent
AGENTS: dict[str, tuple[str, str, str, str]] = {
    "chrome-windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Chrome",
        "Windows",
        "Desktop",
    ),
    "safari-iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "iOS",
        "Mobile",
    ),
    "firefox-linux": (
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox",
        "Linux",
        "Desktop",
    ),
    "chrome-android": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
        "Chrome",
        "Android",
        "Mobile",
    ),
    "googlebot": (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Chrome",
        "Linux",
        "Desktop",
    ),
}
BOT_MARKS = ("Googlebot", "HeadlessChrome")
HUMANS = ["chrome-windows", "safari-iphone", "firefox-linux", "chrome-android"]
# Public resolvers and well-known addresses in several countries, both IP versions; a
# private address (never looked up); None: the event has no `$ip` (capture adds 127.0.0.1).
IPS: list[str | None] = [
    "89.160.20.129",
    "81.2.69.142",
    "8.8.8.8",
    "2001:4860:4860::8888",
    "200.160.2.3",
    "10.0.0.7",
    None,
]
# The first event's referrer and URL values -> one channel type each (channel_oracle.py)
LANDINGS: list[dict[str, str]] = [
    {"$referring_domain": "$direct"},
    {"$referring_domain": "www.google.com"},
    {
        "$referring_domain": "www.google.co.uk",
        "utm_source": "Google",
        "utm_medium": "cpc",
        "utm_campaign": "Brand",
        "gclid": "Cj0KCQ",
    },
    {"$referring_domain": "www.bing.com", "utm_medium": "ppc"},
    {"$referring_domain": "l.facebook.com", "fbclid": "IwAR1"},
    {"$referring_domain": "$direct", "fbclid": "IwAR2"},
    {"$referring_domain": "t.co"},
    {"$referring_domain": "mail.google.com"},
    {
        "$referring_domain": "$direct",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "december",
    },
    {"$referring_domain": "$direct", "utm_medium": "sms", "utm_campaign": "Promo"},
    {"$referring_domain": "m.youtube.com", "utm_campaign": "launch-video"},
    {"$referring_domain": "news.ycombinator.com:443"},
    {"$referring_domain": "$direct", "utm_source": "google", "utm_campaign": "cross-network-q4"},
    {"$referring_domain": "partner.example", "utm_campaign": "winter-shopping"},
    {"$referring_domain": "$direct", "utm_medium": "web-push"},
    {"$referring_domain": "$direct", "utm_source": "acme", "utm_medium": "paid-display"},
    {"$referring_domain": "$direct", "utm_medium": "podcast"},
    {"utm_source": "weird"},
    {"$referring_domain": "$direct", "gad_source": "1"},
]
LATE = "late"
PATHS = ["/", "/pricing", "/docs", "/docs/install", "/blog/hello", "/about"]
HOST = "www.site.io"


class Sender:
    """Builds the events of one dataset (deterministic for a given `now`)."""

    def __init__(self, now: datetime) -> None:
        self.rng = random.Random(19)
        self.now = now
        self.events: list[dict[str, Any]] = []

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(self, name: str, distinct_id: str, at: datetime, **properties: Any) -> None:
        self.events.append(
            {
                "event": name,
                "distinct_id": distinct_id,
                "uuid": self.uuid(),
                "timestamp": at.astimezone(UTC).isoformat(timespec="milliseconds"),
                "properties": {k: v for k, v in properties.items() if v is not None},
            }
        )

    def session(
        self,
        distinct_id: str,
        start: datetime,
        steps: list[tuple[str, str, float]],  # (event, path, seconds after the previous)
        landing: dict[str, str],
        agent: str,
        ip: str | None,
        device_on_first: bool = True,
    ) -> None:
        sid = str(uuid.UUID(int=self.rng.getrandbits(128)))
        user_agent, browser, os_name, device = AGENTS[agent]
        at = start
        for i, (name, path, gap) in enumerate(steps):
            at += timedelta(seconds=gap)
            query = {k: v for k, v in landing.items() if not k.startswith("$")} if i == 0 else {}
            url = f"https://{HOST}{path}" + (f"?{urlencode(query)}" if query else "")
            device_fields = i > 0 or device_on_first
            self.event(
                name,
                distinct_id,
                at,
                **{
                    "$session_id": sid,
                    "$current_url": url if path else None,
                    "$pathname": path or None,
                    "$host": HOST if path else None,
                    "$raw_user_agent": user_agent,
                    "$browser": browser if device_fields else None,
                    "$os": os_name if device_fields else None,
                    "$device_type": device if device_fields else None,
                    "$ip": ip,
                    **(
                        landing
                        if i == 0
                        else {"$referring_domain": landing.get("$referring_domain")}
                    ),
                },
            )


def _day(now: datetime, days_ago: int, hour: float) -> datetime:
    midnight = datetime.combine(now.date() - timedelta(days=days_ago), time(), UTC)
    return midnight + timedelta(hours=hour)


def api_events(now: datetime) -> list[dict[str, Any]]:
    """The dataset's API events, in time order."""
    s = Sender(now)
    rng = s.rng
    for n in range(40):
        days_ago = n % 4
        if days_ago == 0:  # today, before now (yesterday when the test runs just after 0:00)
            start = now - timedelta(minutes=20 + 3 * n, milliseconds=rng.randrange(1000))
        else:
            start = _day(now, days_ago, 1 + (n * 7) % 21 + rng.random())
        kinds = ["$pageview"] + [
            rng.choice(["$pageview", "$pageview", "$autocapture", "signed_up"])
            for _ in range(rng.choice([0, 0, 1, 2, 4]))
        ]
        steps = [
            (
                kind,
                "" if kind == "signed_up" else rng.choice(PATHS),
                rng.choice([0.7, 2.5, 6.2, 31]) if i else 0,
            )
            for i, kind in enumerate(kinds)
        ]
        s.session(
            f"visitor-{n % 11}",
            start,
            steps,
            LANDINGS[n % len(LANDINGS)],
            HUMANS[n % len(HUMANS)],
            IPS[n % len(IPS)],
            device_on_first=n % 5 != 2,
        )
    edge = _day(now, 2, 6)
    # one page view and a custom event 9.4 s later, in whole seconds 9 (a bounce) or 10 (not)
    for n, fraction in enumerate((0.3, 0.8)):
        at = edge + timedelta(minutes=n, seconds=fraction)
        steps = [("$pageview", "/pricing", 0), ("signed_up", "", 9.4)]
        s.session(f"edge-{n}", at, steps, LANDINGS[0], "firefox-linux", IPS[1])
    steps = [("$pageview", "/", 0), ("$autocapture", "/", 2)]  # a click: not a bounce
    s.session("edge-2", edge + timedelta(minutes=5), steps, LANDINGS[1], "chrome-windows", IPS[0])
    steps = [("$autocapture", "/docs", 0), ("$pageview", "/about", 3)]  # entered by a click
    s.session("edge-3", edge + timedelta(minutes=7), steps, LANDINGS[6], "chrome-android", IPS[2])
    steps = [("$autocapture", "/docs", 0), ("signed_up", "", 1)]  # no page view at all
    s.session("edge-4", edge + timedelta(minutes=9), steps, LANDINGS[0], "chrome-android", IPS[2])
    # across midnight: counted on its first day only
    steps = [("$pageview", "/", 0), ("$pageview", "/pricing", 4), ("$pageview", "/docs", 5)]
    s.session(
        "night", _day(now, 1, 0) - timedelta(seconds=6), steps, LANDINGS[7], "safari-iphone", IPS[3]
    )
    # a crawler (flagged by the server from its user agent) on two days
    for days_ago in (0, 1):
        start = _day(now, days_ago, 11) if days_ago else now - timedelta(minutes=3)
        steps = [("$pageview", p, 1) for p in ("/", "/docs", "/blog/hello")]
        s.session("crawler", start, steps, LANDINGS[0], "googlebot", IPS[2])
    # two persons made one by an identify (each had events before it), then more sessions
    morning = _day(now, 1, 8)
    early = [("$pageview", "/about", 0)]
    s.session("m-user", _day(now, 1, 6), early, LANDINGS[2], "safari-iphone", IPS[1])
    s.session(
        "m-anon",
        morning,
        [("$pageview", "/", 0), ("$pageview", "/pricing", 20)],
        LANDINGS[1],
        "chrome-windows",
        IPS[1],
    )
    s.event(
        "$identify", "m-user", morning + timedelta(minutes=1), **{"$anon_distinct_id": "m-anon"}
    )
    for at in (_day(now, 1, 15), now - timedelta(minutes=2)):
        s.session("m-user", at, [("$pageview", "/docs", 0)], LANDINGS[8], "chrome-windows", IPS[4])
    # its first event (the referrer and campaign) arrives last, in a batch of its own
    steps = [("$pageview", p, 5) for p in ("/pricing", "/docs", "/")]
    s.session(LATE, _day(now, 1, 10), steps, LANDINGS[13], "chrome-android", IPS[4])
    for i in range(3):  # page views without a session: not web analytics
        s.event(
            "$pageview",
            "server",
            edge + timedelta(minutes=i),
            **{"$current_url": f"https://{HOST}/"},
        )
    return sorted(s.events, key=lambda e: e["timestamp"])


def batches(events: list[dict[str, Any]], size: int = 40) -> list[list[dict[str, Any]]]:
    """The requests that send the events: in time order, except that the late session's
    first event comes last; and the first request is sent twice (a client's retry of a
    request that had succeeded: the server keeps each uuid once)."""
    late = next(e for e in events if e["distinct_id"] == LATE)
    rest = [e for e in events if e is not late]
    sent = [rest[i : i + size] for i in range(0, len(rest), size)]
    return [*sent, sent[0], [late]]


def is_bot(event: dict[str, Any]) -> bool:
    props = event["properties"]
    agent = props.get("$raw_user_agent") or props.get("$user_agent") or ""
    return any(mark in agent for mark in BOT_MARKS)
