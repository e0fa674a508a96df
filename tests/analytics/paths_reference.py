"""Plain-Python answers for PathsQuery, and walkers: persons who browse a site in sessions.

Written from the definitions in docs/queries.md#pathsquery, never calling Hedgerow code.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from analytics_data import Event

SITE = "https://shop.example.com"
PAGES = ["/", "/pricing", "/signup", "/docs", "/user/{id}", "/user/{id}/settings"]
SESSION_GAP = timedelta(minutes=30)


def walkers(now: datetime, count: int = 40, first_number: int = 500) -> list[Event]:
    """Page views in sessions (minutes apart, now and then a reload or a gap of over half an
    hour), purchases in between; every fifth walker browses anonymously first and is merged
    into the person the backend already made for them (an override)."""
    rng = random.Random(5)
    events: list[Event] = []
    for number in range(first_number, first_number + count):
        user, anon = f"walker-{number}", f"walker-anon-{number}"
        merged = number % 5 == 0
        starts = sorted(now - timedelta(days=rng.uniform(0.5, 25)) for _ in range(3))
        if merged:
            before = starts[0] - timedelta(hours=2)
            events.append(Event("purchase", user, before, number, {"price": 5}))
        for session, start in enumerate(starts):
            at, page = start, rng.choice(PAGES[:2])
            for _ in range(rng.randint(1, 7)):
                distinct_id = anon if merged and session == 0 else user
                url = SITE + page.format(id=rng.randrange(100, 999))
                if rng.random() < 0.4:
                    url += f"?ref={rng.randrange(3)}"
                events.append(Event("$pageview", distinct_id, at, number, {"$current_url": url}))
                if rng.random() < 0.2:
                    events.append(Event("purchase", distinct_id, at + timedelta(seconds=5), number))
                at += timedelta(minutes=rng.uniform(0.5, 12))
                if rng.random() < 0.08:
                    at += timedelta(minutes=45)  # a new session by time
                if rng.random() > 0.15:  # else: the same page again (a reload)
                    page = rng.choice(PAGES)
            if number % 7 == 0:  # the same person in the app: screens
                for step, name in enumerate(["Home", "Cart", "Cart", "Pay"][: rng.randint(2, 4)]):
                    moment = start + timedelta(hours=3, minutes=2 * step)
                    screen = {"$screen_name": name}
                    events.append(Event("$screen", user, moment, number, screen))
            if merged and session == 0:
                identify = Event("$identify", user, at, number, {"$anon_distinct_id": anon})
                events.append(identify)
    return sorted(events, key=lambda e: e.timestamp)


@dataclass
class Paths:
    edges: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    dropoffs: dict[str, set[int]] = field(default_factory=dict)
    by_step: dict[int, set[int]] = field(default_factory=dict)

    def top(self, limit: int = 50, min_weight: int = 1) -> list[dict[str, object]]:
        rows = [(-len(p), s, t) for (s, t), p in self.edges.items() if len(p) >= min_weight]
        return [{"source": s, "target": t, "value": -n} for n, s, t in sorted(rows)[:limit]]


def _item(event: Event, types: list[str], rules: list[tuple[str, str]]) -> str | None:
    if event.event == "$pageview" and "$pageview" in types:
        text = str(event.properties.get("$current_url") or "")
    elif event.event == "$screen" and "$screen" in types:
        text = str(event.properties.get("$screen_name") or "")
    elif not event.event.startswith("$") and "custom_event" in types:
        text = event.event
    else:
        return None
    for pattern, alias in rules:
        text = re.sub(pattern, alias, text)
    return text


def paths(
    events: list[Event],
    first: date,
    last: date,
    tz: ZoneInfo,
    *,
    types: list[str] | None = None,
    rules: list[tuple[str, str]] | None = None,
    start: str | None = None,
    end: str | None = None,
    steps: int = 5,
    excluded: tuple[str, ...] = (),
) -> Paths:
    per_person: dict[int, list[tuple[datetime, str]]] = {}
    for event in events:
        if not first <= event.timestamp.astimezone(tz).date() <= last:
            continue
        item = _item(event, types or ["$pageview"], rules or [])
        if item is not None and item not in excluded and event.event not in excluded:
            per_person.setdefault(event.person, []).append((event.timestamp, item))
    answer = Paths()
    for person, items in per_person.items():
        items.sort()
        sessions: list[list[str]] = []
        previous = None
        for at, item in items:
            if previous is None or at - previous > SESSION_GAP:
                sessions.append([])
            if not sessions[-1] or sessions[-1][-1] != item:
                sessions[-1].append(item)
            previous = at
        for session in sessions:
            path = _cut(session, start, end, steps)
            if not path:
                continue
            for k in range(len(path) - 1):
                edge = (f"{k + 1}_{path[k]}", f"{k + 2}_{path[k + 1]}")
                answer.edges.setdefault(edge, set()).add(person)
            answer.dropoffs.setdefault(f"{len(path)}_{path[-1]}", set()).add(person)
            answer.by_step.setdefault(len(path), set()).add(person)
    return answer


def _cut(session: list[str], start: str | None, end: str | None, steps: int) -> list[str]:
    if start is not None:
        if start not in session:
            return []
        session = session[session.index(start) :]
    if end is not None:
        if end not in session:
            return []
        upto = session.index(end)
        session = session[: upto + 1]
        if start is None:
            session = session[-steps:]
    path = session[:steps]
    return path if end is None or path[-1] == end else []
