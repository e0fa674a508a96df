"""A generated web-analytics dataset (sessions of page views and autocaptures with
referrers, UTM links and click ids) and the oracle: each session's row computed in Python
from the events as sent."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from hedgerow.web_analytics.channels import Attribution, channel_type

# First-event attribution of each session: referring domain and URL query values.
LANDINGS: list[dict[str, str]] = [
    {"$referring_domain": "$direct"},
    {"$referring_domain": "www.google.com"},
    {"$referring_domain": "www.google.com", "gclid": "Cj0KCQ", "utm_source": "google"},
    {"$referring_domain": "l.facebook.com", "fbclid": "IwAR1"},
    {"$referring_domain": "$direct", "utm_source": "newsletter", "utm_medium": "email"},
    {"$referring_domain": "news.ycombinator.com"},
    {"$referring_domain": "blog.example.org", "utm_campaign": "spring-sale"},
    {"$referring_domain": "$direct", "utm_medium": "sms", "utm_campaign": "Promo"},
    {"$referring_domain": "www.youtube.com", "utm_term": "t", "utm_content": "c"},
    {"$referring_domain": "$direct", "gad_source": "1", "msclkid": "m1"},
]
BROWSERS = [
    ("Chrome", "Mac OS X", "Desktop"),
    ("Safari", "iOS", "Mobile"),
    ("Firefox", "Linux", "Desktop"),
]
PATHS = ["/", "/pricing", "/docs/start", "/blog/post?id=3", "/about"]
HOSTS = ["www.site.io", "docs.site.io"]
COUNTRIES = ["GB", "DE", "US"]


def generate(start: datetime, seed: int = 19) -> list[dict[str, Any]]:
    """Events of 24 sessions over two days, in time order per session (some single page
    views: bounces; some long or with autocapture: not), plus events without a session."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for n in range(24):
        session = str(uuid.UUID(int=rng.getrandbits(128)))
        browser, os_name, device = BROWSERS[n % len(BROWSERS)]
        landing = LANDINGS[n % len(LANDINGS)]
        t = start + timedelta(hours=2 * n, milliseconds=rng.randrange(1000))
        count = rng.choice([1, 1, 2, 3, 5])
        kinds = ["$pageview"] + [
            rng.choice(["$pageview", "$autocapture", "signed_up"]) for _ in range(count - 1)
        ]
        for i, kind in enumerate(kinds):
            props: dict[str, Any] = {"$session_id": session, **landing}
            if kind != "signed_up":
                url = f"https://{rng.choice(HOSTS)}{rng.choice(PATHS)}"
                props["$current_url"] = url
            if not (i == 0 and n % 4 == 1):  # some first events lack the device fields
                props.update({"$browser": browser, "$os": os_name, "$device_type": device})
            if n % 3 and i > 0:
                props["$geoip_country_code"] = COUNTRIES[n % len(COUNTRIES)]
            events.append(
                {
                    "event": kind,
                    "distinct_id": f"visitor-{n % 7}",
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "timestamp": t.isoformat(),
                    "properties": props,
                }
            )
            t += timedelta(seconds=rng.choice([2, 4, 9, 30]), milliseconds=rng.randrange(1000))
    midnight = datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), start.tzinfo)
    edge_cases = [  # (first event time, [(event, seconds after the first, has a URL)])
        # one page view and an autocapture 3 s later: not a bounce (the autocapture)
        (start + timedelta(minutes=61), [("$pageview", 0, True), ("$autocapture", 3, True)]),
        # one page view and a custom event 12 s later: not a bounce (10 s or more)
        (start + timedelta(minutes=181), [("$pageview", 0, True), ("signed_up", 12, False)]),
        # no page view: bounce is NULL; the entry URL is the first event that has one
        (start + timedelta(minutes=301), [("signed_up", 0, False), ("$autocapture", 2, True)]),
        # starts 5 s before midnight and ends after it: counted on its first day only
        (midnight - timedelta(seconds=5), [("$pageview", 0, True), ("$pageview", 20, True)]),
    ]
    for n, (first, steps) in enumerate(edge_cases):
        session = str(uuid.UUID(int=rng.getrandbits(128)))
        for kind, seconds, has_url in steps:
            props = {"$session_id": session, "$referring_domain": "$direct"}
            if has_url:
                props["$current_url"] = f"https://www.site.io/edge/{n}"
            events.append(
                {
                    "event": kind,
                    "distinct_id": f"edge-{n}",
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "timestamp": (first + timedelta(seconds=seconds)).isoformat(),
                    "properties": props,
                }
            )
    for i in range(3):
        events.append(
            {
                "event": "$pageview",
                "distinct_id": "server",
                "timestamp": (start + timedelta(minutes=i)).isoformat(),
                "properties": {"$current_url": "https://www.site.io/"},
            }
        )
    return events


def _first(values: list[Any]) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def expected_sessions(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each session's row, by the definitions of docs/web-analytics.md."""
    by_session: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        if session := e["properties"].get("$session_id"):
            by_session.setdefault(session, []).append(e)
    rows: dict[str, dict[str, Any]] = {}
    for session, evs in by_session.items():
        evs = sorted(evs, key=lambda e: e["timestamp"])
        times = [datetime.fromisoformat(e["timestamp"]) for e in evs]
        urls = [e["properties"]["$current_url"] for e in evs if e["properties"].get("$current_url")]
        first = evs[0]["properties"]
        duration = int(times[-1].timestamp()) - int(times[0].timestamp())
        pageviews = len({e["uuid"] for e in evs if e["event"] == "$pageview"})
        autocaptures = len({e["uuid"] for e in evs if e["event"] == "$autocapture"})
        entry = {
            k: first.get(k) or None
            for k in (
                "$referring_domain",
                "utm_source",
                "utm_medium",
                "utm_campaign",
                "utm_term",
                "utm_content",
                "gclid",
                "gad_source",
                "fbclid",
                "msclkid",
            )
        }
        row = {
            "session_id": session,
            "distinct_id": evs[-1]["distinct_id"],
            "$start_timestamp": times[0],
            "$end_timestamp": times[-1],
            "$session_duration": duration,
            "$entry_current_url": urls[0] if urls else None,
            "$entry_hostname": urlsplit(urls[0]).netloc if urls else None,
            "$entry_pathname": urlsplit(urls[0]).path if urls else None,
            "$end_current_url": urls[-1] if urls else None,
            "$end_hostname": urlsplit(urls[-1]).netloc if urls else None,
            "$end_pathname": urlsplit(urls[-1]).path if urls else None,
            **{("$entry_" + k.lstrip("$")): v for k, v in entry.items()},
            "$channel_type": channel_type(
                Attribution(
                    referring_domain=entry["$referring_domain"],
                    utm_source=entry["utm_source"],
                    utm_medium=entry["utm_medium"],
                    utm_campaign=entry["utm_campaign"],
                    gclid=entry["gclid"],
                    gad_source=entry["gad_source"],
                    fbclid=entry["fbclid"],
                )
            ),
            "$device_type": _first([e["properties"].get("$device_type") for e in evs]),
            "$browser": _first([e["properties"].get("$browser") for e in evs]),
            "$os": _first([e["properties"].get("$os") for e in evs]),
            "$geoip_country_code": _first(
                [e["properties"].get("$geoip_country_code") for e in evs]
            ),
            "$pageview_count": pageviews,
            "$autocapture_count": autocaptures,
            "$is_bounce": None
            if pageviews == 0
            else not (pageviews > 1 or autocaptures > 0 or duration >= 10),
        }
        rows[session] = row
    return rows
