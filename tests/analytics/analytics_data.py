"""A generated dataset for the analytics tests, and plain-Python answers to check against.

Users over ~four months, with typed properties (numbers, numeric strings, booleans, nulls,
dates), sessions, autocapture clicks and person properties. A third of the users browse
anonymously, are also seen by the backend under their user id, and then `$identify`: the
anonymous person is merged into the user's person after the fact (an override). Another
third browse anonymously and identify before the backend knows them (no merge needed).
The reference computations never call Hedgerow code: buckets, time zones, filters and
maths are written out here from their definitions.
"""

from __future__ import annotations

import json
import math
import random
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from server import Server

PLANS = ["free", "pro", "team", "enterprise", "PRO"]
BROWSERS = ["Chrome", "Safari", "Firefox", "Edge"]
PATHS = ["/", "/pricing", "/checkout", "/docs/setup", "/blog/launch"]
TIERS = ["gold", "silver", "bronze"]
CHAINS = [
    'button.btn.buy:attr__class="btn buy"attr_id="buy-now"nth-child="2"nth-of-type="1"'
    'text="Purchase";div.card:attr__class="card"nth-child="1"nth-of-type="1"',
    'a.nav:attr__class="nav"attr__href="/pricing"href="/pricing"nth-child="1"nth-of-type="1"'
    'text="See pricing";nav:nth-child="1"nth-of-type="1"',
    'span:nth-child="1"nth-of-type="1"text="Go";button.cta:attr__class="cta"nth-child="3"'
    'nth-of-type="2";form:attr_id="signup"nth-child="1"nth-of-type="1"',
]


@dataclass
class Event:
    event: str
    distinct_id: str
    timestamp: datetime
    person: int  # the effective person (the user's number)
    properties: dict[str, Any] = field(default_factory=dict)
    person_properties: dict[str, Any] = field(default_factory=dict)
    set_properties: dict[str, Any] = field(default_factory=dict)
    chain: str = ""

    def payload(self) -> dict[str, Any]:
        properties = dict(self.properties)
        if self.chain:
            properties["$elements_chain"] = self.chain
        body: dict[str, Any] = {
            "event": self.event,
            "distinct_id": self.distinct_id,
            "uuid": str(uuid.uuid4()),
            "timestamp": self.timestamp.isoformat(),
            "properties": properties,
        }
        if self.set_properties:
            body["$set"] = self.set_properties
        return body


def _properties(rng: random.Random, distinct_id: str, moment: datetime) -> dict[str, Any]:
    props: dict[str, Any] = {
        "$current_url": f"https://shop.example.com{rng.choice(PATHS)}?ref={rng.randrange(3)}",
        "$browser": rng.choice(BROWSERS),
        "$session_id": f"{distinct_id}-{moment.date()}-{rng.randrange(2)}",
    }
    roll = rng.random()
    if roll < 0.85:
        props["plan"] = rng.choice(PLANS)
    roll = rng.random()
    if roll < 0.6:
        props["price"] = rng.randrange(0, 500, 10)
    elif roll < 0.8:
        props["price"] = round(rng.uniform(0, 500), 2)
    elif roll < 0.85:
        props["price"] = f"{rng.randrange(0, 50)}.5"  # a number sent as a string
    elif roll < 0.88:
        props["price"] = "n/a"
    elif roll < 0.92:
        props["price"] = None
    if rng.random() < 0.8:
        props["flag"] = rng.random() < 0.5
    roll = rng.random()
    if roll < 0.3:
        props["coupon"] = rng.choice(["XMAS", "SPRING", "xmas-2026"])
    elif roll < 0.4:
        props["coupon"] = None
    if rng.random() < 0.7:
        props["signup_date"] = (moment - timedelta(days=rng.randrange(0, 60))).date().isoformat()
    return props


def generate(now: datetime, users: int = 24, seed: int = 7) -> list[Event]:
    """Events sorted by time (the order they are sent in)."""
    rng = random.Random(seed)
    events: list[Event] = []
    start = now - timedelta(days=125)
    span = (now - timedelta(hours=2) - start).total_seconds()

    def moment() -> datetime:
        return start + timedelta(seconds=rng.random() * span, microseconds=rng.randrange(10**6))

    for number in range(users):
        kind = number % 3
        user, anon = f"user-{number}", f"anon-{number}"
        person_set = {"tier": TIERS[number % 3], "age": 20 + number}
        times = sorted(moment() for _ in range(rng.randrange(40, 120)))
        identify_at = times[len(times) // 2] - timedelta(seconds=1)
        for at in times:
            anonymous = kind in (0, 1) and at < identify_at and (kind == 1 or rng.random() < 0.5)
            distinct_id = anon if anonymous else user
            name = rng.choice(["$pageview"] * 5 + ["purchase"] * 2 + ["$autocapture"] * 2)
            event = Event(name, distinct_id, at, number, _properties(rng, distinct_id, at))
            if name == "$autocapture":
                event.chain = rng.choice(CHAINS)
            if not anonymous:
                event.set_properties = person_set
                event.person_properties = person_set
            events.append(event)
        if kind in (0, 1):
            identify = Event("$identify", user, identify_at, number, {"$anon_distinct_id": anon})
            identify.set_properties = identify.person_properties = person_set
            events.append(identify)
    events.sort(key=lambda e: e.timestamp)
    return events


def send(server: Server, token: str, events: list[Event]) -> None:
    for index in range(0, len(events), 500):
        batch = [e.payload() for e in events[index : index + 500]]
        response = httpx.post(server.url + "/batch/", json={"api_key": token, "batch": batch})
        assert response.status_code == 200, response.text


# -- the reference ------------------------------------------------------------------------


def text_form(value: Any) -> str | None:
    """How a property reads as text: strings as they are, other JSON as JSON; None if unset."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)


def number(value: Any) -> float | None:
    text = text_form(value)
    if text is None:
        return None
    try:
        result = float(text)
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def local_bucket(moment: datetime, interval: str, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if interval == "week":
        day -= timedelta(days=(day.weekday() + 1) % 7)  # weeks start on Sunday
    elif interval == "month":
        day = day.replace(day=1)
    return day


def buckets(first: date, last: date, interval: str, tz: ZoneInfo) -> list[Any]:
    """Local bucket starts from the one holding `first` to the one holding `last` (dates)."""
    if interval == "hour":
        current = datetime(first.year, first.month, first.day, tzinfo=tz).astimezone(UTC)
        end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
        result = []
        while current < end.astimezone(UTC):
            result.append(current.astimezone(tz))
            current += timedelta(hours=1)
        return result
    start = local_bucket(datetime(first.year, first.month, first.day, 12, tzinfo=tz), interval, tz)
    result = []
    while start.date() <= last:
        result.append(start)
        if interval == "day":
            start += timedelta(days=1)
        elif interval == "week":
            start += timedelta(days=7)
        else:
            start = (start + timedelta(days=32)).replace(day=1)
    return result


def day_label(start: Any, interval: str) -> str:
    if interval == "hour":
        return start.strftime("%Y-%m-%d %H:%M:%S")
    return start.date().isoformat()


def in_range(event: Event, first: date, last: date, tz: ZoneInfo, interval: str) -> bool:
    local = event.timestamp.astimezone(tz)
    begin = buckets(first, first, interval, tz)[0]
    if interval != "hour":
        return begin.date() <= local.date() <= last
    return begin <= local and local.date() <= last


def quantile(values: list[float], level: float) -> float:
    ordered = sorted(values)
    position = level * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "avg": lambda v: sum(v) / len(v),
    "min": min,
    "max": max,
    "median": lambda v: quantile(v, 0.5),
    "p75": lambda v: quantile(v, 0.75),
    "p90": lambda v: quantile(v, 0.9),
    "p95": lambda v: quantile(v, 0.95),
    "p99": lambda v: quantile(v, 0.99),
}


def trend(
    events: Iterable[Event],
    *,
    first: date,
    last: date,
    interval: str,
    tz: ZoneInfo,
    math_name: str = "total",
    prop: str | None = None,
    key: Callable[[Event], Any] | None = None,
) -> tuple[list[str], dict[Any, list[float]]]:
    """Days and a data list per breakdown key (None without `key`); `prop` is an event
    property, or `person.<key>` for a person property."""
    starts = buckets(first, last, interval, tz)
    labels = [day_label(s, interval) for s in starts]
    index = {day_label(s, interval): i for i, s in enumerate(starts)}
    chosen = list(events)
    groups: dict[Any, list[Event]] = {}
    for event in chosen:
        groups.setdefault(key(event) if key else None, []).append(event)
    result = {}
    for group, members in groups.items():
        if math_name in ("weekly_active", "monthly_active"):
            result[group] = _active(members, starts, interval, tz, last, math_name)
            continue
        per_bucket: dict[int, list[Event]] = {}
        for event in members:
            if not in_range(event, first, last, tz, interval):
                continue
            slot = index.get(day_label(local_bucket(event.timestamp, interval, tz), interval))
            if slot is not None:
                per_bucket.setdefault(slot, []).append(event)
        data: list[float] = [0] * len(starts)
        for slot, items in per_bucket.items():
            if math_name == "total":
                data[slot] = len(items)
            elif math_name == "dau":
                data[slot] = len({e.person for e in items})
            elif math_name == "unique_session":
                data[slot] = len({e.properties.get("$session_id") for e in items})
            else:
                assert prop is not None
                source = "person_properties" if prop.startswith("person.") else "properties"
                name = prop.removeprefix("person.")
                values = [
                    v
                    for v in (number(getattr(e, source).get(name)) for e in items)
                    if v is not None
                ]
                data[slot] = AGGREGATES[math_name](values) if values else 0
        result[group] = data
    return labels, result


def _active(
    events: list[Event], starts: list[Any], interval: str, tz: ZoneInfo, last: date, math_name: str
) -> list[float]:
    days = 7 if math_name == "weekly_active" else 30
    data: list[float] = []
    for start in starts:
        if interval == "hour":
            end = start.astimezone(UTC) + timedelta(hours=1)
            begin = end - timedelta(days=days)
            found = {e.person for e in events if begin <= e.timestamp < end}
        elif (interval == "week" and days == 7) or interval == "month":
            found = {
                e.person
                for e in events
                if local_bucket(e.timestamp, interval, tz) == start
                and e.timestamp.astimezone(tz).date() <= last
            }
        else:
            length = 1 if interval == "day" else 7
            end_day = min(start.date() + timedelta(days=length - 1), last)
            begin_day = end_day - timedelta(days=days - 1)
            found = {
                e.person
                for e in events
                if begin_day <= e.timestamp.astimezone(tz).date() <= end_day
            }
        data.append(len(found))
    return data


def matches(value: Any, operator: str, target: Any) -> bool:
    """A property filter on one event property, from the operator's definition."""
    text = text_form(value)
    if operator in ("exact", "is_not"):
        targets = target if isinstance(target, list) else [target]
        found = False
        for t in targets:
            if isinstance(t, bool):
                found |= text == ("true" if t else "false")
            elif isinstance(t, int | float):
                found |= number(value) == float(t)
            else:
                found |= text == t
        return found if operator == "exact" else not found
    if operator in ("icontains", "not_icontains"):
        found = text is not None and str(target).lower() in text.lower()
        return found if operator == "icontains" else not found
    if operator in ("regex", "not_regex"):
        found = text is not None and re.search(str(target), text) is not None
        return found if operator == "regex" else not found
    if operator in ("gt", "gte", "lt", "lte"):
        n = number(value)
        if n is None:
            return False
        return {"gt": n > target, "gte": n >= target, "lt": n < target, "lte": n <= target}[
            operator
        ]
    if operator in ("is_set", "is_not_set"):
        return (text is not None) == (operator == "is_set")
    try:
        when = datetime.fromisoformat(text) if text else None
    except ValueError:
        when = None
    if when is None:
        return False
    goal = datetime.fromisoformat(str(target))
    if operator == "is_date_exact":
        return when.date() == goal.date()
    if operator == "is_date_before":
        return when < goal
    return when > goal


class Project:
    """A project of the test server, and its query endpoint with its own key."""

    def __init__(self, server: Server, project_id: int, key: str, events: list[Event]) -> None:
        self.server, self.id, self.key, self.events = server, project_id, key, events

    def query(self, query: dict[str, Any], status: int = 200) -> dict[str, Any]:
        response = httpx.post(
            f"{self.server.url}/api/projects/{self.id}/query/",
            json={"query": query},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=60,
        )
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result
