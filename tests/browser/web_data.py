"""Page views of two sites for /web (its browser test and screenshots): visitors from six
countries on shop.example and blog.example, in sessions with several paths, referrers, UTM
links and clicks, sent through the capture API's /batch/; and the numbers /web must show,
computed here from what was sent."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from server import TOKEN, Server

COUNTRIES = ["US"] * 8 + ["FR"] * 5 + ["DE"] * 4 + ["BR"] * 3 + ["JP"] * 2 + ["IN"] * 2
PATHS = [
    ["/", "/pricing", "/signup"],
    ["/pricing"],
    ["/docs", "/docs/install"],
    ["/"],
    ["/blog/hello", "/"],
    ["/pricing", "/signup"],
]
REFERRERS = [
    None,
    "https://www.google.com/search?q=hedgerow",
    "https://news.ycombinator.com/item?id=1",
    "https://t.co/abc",
]
NEWSLETTER = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "december"}
DEVICES = [
    ("Chrome", "Mac OS X", "Desktop"),
    ("Safari", "iOS", "Mobile"),
    ("Firefox", "Linux", "Desktop"),
]


@dataclass(frozen=True)
class Session:
    distinct_id: str
    session_id: str
    start: datetime
    host: str
    paths: list[str]
    gap: int  # seconds between page views
    referrer: str | None
    utm: dict[str, str]
    country: str
    device: tuple[str, str, str]
    clicks: int = 0
    uuids: list[str] = field(default_factory=list)

    @property
    def duration(self) -> int:
        return self.gap * (len(self.paths) - 1)

    @property
    def bounce(self) -> bool:
        return not (len(self.paths) > 1 or self.clicks > 0 or self.duration >= 10)


def web_sessions(now: datetime, seed: int = 19) -> list[Session]:
    """26 visitors in the last five days (every third one twice) and 6 ten days ago (the
    previous period); every session ends at least an hour before `now`."""
    rng = random.Random(seed)
    sessions: list[Session] = []

    def add(distinct_id: str, n: int, days_ago: float) -> None:
        start = (now - timedelta(days=days_ago, hours=1 + rng.randrange(6))).replace(microsecond=0)
        referrer = REFERRERS[n % len(REFERRERS)]
        sessions.append(
            Session(
                distinct_id=distinct_id,
                session_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                start=start,
                host="blog.example" if n % 7 == 6 else "shop.example",
                paths=PATHS[rng.randrange(len(PATHS))],
                gap=rng.choice([3, 20, 45]),
                referrer=referrer,
                utm=NEWSLETTER if n % 5 == 4 else {},
                country=COUNTRIES[n % len(COUNTRIES)],
                device=DEVICES[n % len(DEVICES)],
                clicks=1 if n % 4 == 1 else 0,
            )
        )

    for n in range(26):
        add(f"visitor-{n}", n, 1 + n % 4)
        if n % 3 == 0:
            add(f"visitor-{n}", n, 0.2 + n % 2)
    for n in range(6):
        add(f"earlier-{n}", n, 10)
    return sessions


def session_events(session: Session) -> list[dict[str, Any]]:
    browser, os_name, device = session.device
    domain = urlsplit(session.referrer).hostname if session.referrer else "$direct"
    base = {
        "$session_id": session.session_id,
        "$host": session.host,
        "$browser": browser,
        "$os": os_name,
        "$device_type": device,
        "$geoip_country_code": session.country,
        "$geoip_disable": True,  # the country is the one sent, not one looked up from the IP
        "$referrer": session.referrer or "$direct",
        "$referring_domain": domain,
    }
    events: list[dict[str, Any]] = []
    for i, path in enumerate(session.paths):
        query = f"?{urlencode(session.utm)}" if i == 0 and session.utm else ""
        properties = base | {
            "$current_url": f"https://{session.host}{path}{query}",
            "$pathname": path,
        }
        if i == 0:
            properties |= session.utm
        when = session.start + timedelta(seconds=session.gap * i)
        events.append(_event("$pageview", session.distinct_id, when, properties))
    first = base | {
        "$current_url": f"https://{session.host}{session.paths[0]}",
        "$event_type": "click",
    }
    events += [_event("$autocapture", session.distinct_id, session.start, first)] * session.clicks
    return events


def _event(
    name: str, distinct_id: str, when: datetime, properties: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event": name,
        "distinct_id": distinct_id,
        "properties": properties,
        "timestamp": when.astimezone(UTC).isoformat(),
        "uuid": str(uuid.uuid4()),
    }


def send_events(server: Server, events: list[dict[str, Any]]) -> None:
    received = server.status()["received"]
    for start in range(0, len(events), 500):
        batch = events[start : start + 500]
        response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
        assert response.status_code == 200, response.text
    server.wait_ingested(received + len(events))


def send_web_dataset(server: Server, now: datetime | None = None) -> list[Session]:
    """Send the sessions' events, wait until they are stored, and return the sessions."""
    sessions = web_sessions(now or datetime.now(UTC))
    send_events(server, [e for s in sessions for e in session_events(s)])
    return sessions


# -- the oracle: what /web shows, computed from the sessions sent -------------------------

Keep = Callable[[Session], bool]


def in_range(sessions: Iterable[Session], start: datetime, end: datetime) -> list[Session]:
    """The sessions that started in [start, end]: a period's sessions."""
    return [s for s in sessions if start <= s.start <= end]


@dataclass(frozen=True)
class Overview:
    visitors: int
    views: int
    sessions: int
    duration: float | None  # mean seconds
    bounce_rate: float | None  # percent


def overview(sessions: list[Session]) -> Overview:
    if not sessions:
        return Overview(0, 0, 0, None, None)
    return Overview(
        visitors=len({s.distinct_id for s in sessions}),
        views=sum(len(s.paths) for s in sessions),
        sessions=len(sessions),
        duration=sum(s.duration for s in sessions) / len(sessions),
        bounce_rate=100 * sum(s.bounce for s in sessions) / len(sessions),
    )


def change_pct(value: float | None, previous: float | None) -> int | None:
    return None if value is None or not previous else round(100 * (value - previous) / previous)


def number_text(value: float) -> str:
    return f"{value:,}"


def duration_text(seconds: float | None) -> str:
    """The web app's formatDuration: whole seconds rounded half up."""
    if seconds is None:
        return "–"
    s = math.floor(seconds + 0.5)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60}s"
    return f"{s // 3600}h {s % 3600 // 60}m"


def percent_text(value: float | None) -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}"
    return text[:-2] + "%" if text.endswith(".0") else text + "%"


def tile_texts(o: Overview) -> dict[str, str]:
    """Each tile's value as /web shows it."""
    return {
        "Visitors": number_text(o.visitors),
        "Page views": number_text(o.views),
        "Sessions": number_text(o.sessions),
        "Session duration": duration_text(o.duration),
        "Bounce rate": percent_text(o.bounce_rate),
    }


def pages(sessions: list[Session]) -> list[tuple[str, int, int]]:
    """The Pages table: (path, visitors, views), by visitors, then views, then path."""
    visitors: dict[str, set[str]] = {}
    views: dict[str, int] = {}
    for s in sessions:
        for path in s.paths:
            visitors.setdefault(path, set()).add(s.distinct_id)
            views[path] = views.get(path, 0) + 1
    rows = [(path, len(ids), views[path]) for path, ids in visitors.items()]
    return sorted(rows, key=lambda r: (-r[1], -r[2], r[0]))


def countries(sessions: list[Session]) -> dict[str, int]:
    """Visitors per country code."""
    found: dict[str, set[str]] = {}
    for s in sessions:
        found.setdefault(s.country, set()).add(s.distinct_id)
    return {code: len(ids) for code, ids in found.items()}
