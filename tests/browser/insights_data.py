"""A small shop's last eight weeks for the insight screens (tests and screenshots): persons
who view pages in paths, sign up, buy plans with a price, and come back (or not) week after
week, sent through the capture API's /batch/ endpoint."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server import TOKEN, Server

BROWSERS = ["Chrome", "Firefox", "Safari"]
PATHS = [
    ["/", "/pricing", "/signup"],
    ["/", "/docs", "/pricing", "/signup"],
    ["/blog/post-1", "/", "/pricing"],
    ["/docs", "/docs/install"],
    ["/", "/about"],
]
SITE = "https://shop.example"


def insights_events(persons: int = 30, days: int = 56, seed: int = 16) -> list[dict[str, Any]]:
    """Events of `persons` persons over the last `days` days, oldest first."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    events: list[dict[str, Any]] = []
    for n in range(persons):
        distinct_id = f"user-{n}"
        browser = BROWSERS[n % len(BROWSERS)]
        first_day = rng.randrange(days)
        # Each person returns with a chance that falls with time: a retention curve.
        active_days = [first_day] + [
            d for d in range(first_day + 1, days) if rng.random() < 0.35 * 0.97 ** (d - first_day)
        ]
        for k, day in enumerate(active_days):
            start = now - timedelta(days=days - day, hours=rng.randrange(1, 20))
            path = rng.choice(PATHS)
            for i, page in enumerate(path):
                properties: dict[str, Any] = {
                    "$current_url": SITE + page,
                    "$pathname": page,
                    "$browser": browser,
                }
                if k == 0 and i == 0:
                    properties["$set"] = {"email": f"{distinct_id}@example.com", "plan": "free"}
                event = {"event": "$pageview", "distinct_id": distinct_id, "properties": properties}
                events.append(event | {"timestamp": (start + timedelta(minutes=i)).isoformat()})
            if k == 0 and rng.random() < 0.6:
                when = start + timedelta(minutes=len(path) + rng.randrange(1, 30))
                events.append(_event("signed up", distinct_id, when, {"$browser": browser}))
                if rng.random() < 0.5:
                    price = rng.choice([9, 29, 99])
                    later = min(when + timedelta(hours=rng.randrange(1, 48)), now)
                    events.append(_event("plan purchased", distinct_id, later, {"price": price}))
    events.sort(key=lambda e: e["timestamp"])
    return events


def _event(
    name: str, distinct_id: str, when: datetime, properties: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event": name,
        "distinct_id": distinct_id,
        "properties": properties,
        "timestamp": when.isoformat(),
    }


def send_insights_dataset(server: Server, **options: Any) -> int:
    """Send the dataset, wait until it is stored, and return how many events it has."""
    events = insights_events(**options)
    received = server.status()["received"]
    for start in range(0, len(events), 500):
        batch = events[start : start + 500]
        response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
        assert response.status_code == 200, response.text
    server.wait_ingested(received + len(events))
    return len(events)
