"""The web analytics dataset and its oracle: sessions_data.py's sessions with what the web
tables break down by (`$pathname`, regions and cities), paths with ids for path cleaning,
and a bot's session; then the tiles and table rows computed in Python from what was sent,
by the definitions of docs/web-analytics.md#what-the-numbers-count."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from sessions_data import expected_sessions, generate

GEO = {  # country -> (region, city)
    "GB": ("England", "London"),
    "DE": ("Bavaria", "Munich"),
    "US": ("California", "San Francisco"),
}
CLEANING = [
    {"regex": r"^/docs/\d+$", "alias": "/docs/<id>"},
    {"regex": "<id>$", "alias": ":id"},
    {"regex": "/post$", "alias": "/p"},
]
# breakdownBy -> where the oracle reads the value: ('event', property) or ('session', column)
BREAKDOWNS: dict[str, tuple[str, str]] = {
    "Page": ("event", "$pathname"),
    "InitialPage": ("session", "$entry_pathname"),
    "ExitPage": ("session", "$end_pathname"),
    "InitialReferringDomain": ("session", "$entry_referring_domain"),
    "InitialChannelType": ("session", "$channel_type"),
    "InitialUTMSource": ("session", "$entry_utm_source"),
    "InitialUTMMedium": ("session", "$entry_utm_medium"),
    "InitialUTMCampaign": ("session", "$entry_utm_campaign"),
    "DeviceType": ("event", "$device_type"),
    "Browser": ("event", "$browser"),
    "OS": ("event", "$os"),
    "Country": ("event", "$geoip_country_code"),
    "Region": ("event", "$geoip_subdivision_1_name"),
    "City": ("event", "$geoip_city_name"),
}
PATHS = ("Page", "InitialPage", "ExitPage")
DAY = timedelta(days=1)


def web_events(start: datetime) -> list[dict[str, Any]]:
    rng = random.Random(7)
    events = generate(start)
    for e in events:
        props = e["properties"]
        if url := props.get("$current_url"):
            parts = urlsplit(url)
            path = parts.path
            if path == "/docs/start" and rng.random() < 0.7:  # ids to clean
                path = f"/docs/{rng.randrange(1, 40)}"
                props["$current_url"] = f"{parts.scheme}://{parts.netloc}{path}"
            props["$pathname"] = path
            props["$host"] = parts.netloc
        if country := props.get("$geoip_country_code"):
            region, city = GEO[country]
            props["$geoip_subdivision_1_name"] = region
            props["$geoip_city_name"] = city
    entered_by_click = str(uuid.UUID(int=rng.getrandbits(128)))
    noon = datetime.combine(start.date() + timedelta(days=1), time(12), start.tzinfo)
    for i, (kind, path) in enumerate([("$autocapture", "/"), ("$pageview", "/about")]):
        # enters on "/" by a click, with no page view of "/": in the Page table's bounce
        # rate of "/" even when a `$pathname` filter keeps only "/" (PostHog's rule)
        events.append(
            {
                "event": kind,
                "distinct_id": "clicker",
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "timestamp": (noon + timedelta(seconds=3 * i)).isoformat(),
                "properties": {
                    "$session_id": entered_by_click,
                    "$current_url": f"https://www.site.io{path}",
                    "$pathname": path,
                    "$referring_domain": "$direct",
                    "$browser": "Chrome",
                    "$device_type": "Desktop",
                },
            }
        )
    bot_session = str(uuid.UUID(int=rng.getrandbits(128)))
    for i in range(4):  # a crawler's session, on the first and the second day
        events.append(
            {
                "event": "$pageview",
                "distinct_id": "crawler",
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "timestamp": (start + timedelta(hours=20, seconds=30 * i)).isoformat(),
                "properties": {
                    "$session_id": bot_session,
                    "$current_url": f"https://www.site.io/bot/{i}",
                    "$pathname": f"/bot/{i}",
                    "$referring_domain": "$direct",
                    "$browser": "Googlebot",
                    "$device_type": "Desktop",
                    "$virt_is_bot": True,
                },
            }
        )
    return events


def clean(path: str | None, rules: list[dict[str, str]]) -> str | None:
    """RE2's replace-all (`replaceRegexpAll`) for these plain rules, with Python's re."""
    if path is None:
        return None
    for rule in rules:
        path = re.sub(rule["regex"], rule["alias"], path)
    return path


def _matches(filters: list[dict[str, Any]], props: dict[str, Any]) -> bool:
    """The operators the tests send: `exact`, and `is_cleaned_path_exact` (with CLEANING,
    the rules the tests set when they send it)."""
    for f in filters:
        values = f["value"] if isinstance(f["value"], list) else [f["value"]]
        value = props.get(f["key"])
        if f.get("operator") == "is_cleaned_path_exact":
            value = clean(value, CLEANING)
            values = [clean(v, CLEANING) for v in values]
        if value not in values:
            return False
    return True


class Oracle:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.sessions = expected_sessions(events)

    def counted(
        self,
        first: date,
        last: date,
        properties: list[dict[str, Any]],
        include_bots: bool = False,
        skip: Callable[[dict[str, Any]], bool] = lambda f: False,
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(page view, its session's row) for each page view that counts in the period
        (UTC days `first` to `last`): its session started in it, it happened in it, and it
        and its session match the filters (those `skip` leaves out are not applied)."""
        kept = [f for f in properties if not skip(f)]
        event_filters = [f for f in kept if f.get("type", "event") != "session"]
        session_filters = [f for f in kept if f.get("type") == "session"]
        found = []
        for e in self.events:
            props = e["properties"]
            if e["event"] != "$pageview" or not props.get("$session_id"):
                continue
            if props.get("$virt_is_bot") is True and not include_bots:
                continue
            row = self.sessions[props["$session_id"]]
            day = datetime.fromisoformat(e["timestamp"]).date()
            started = row["$start_timestamp"].date()
            if not (first <= started <= last and first <= day <= last):
                continue
            if _matches(event_filters, props) and _matches(session_filters, row):
                found.append((e, row))
        return found

    def visitors(self, first: date, last: date, host: str | None = None) -> set[str]:
        """What the visitors-over-time TrendsQuery counts: the persons of the page views on
        the UTC days `first` to `last`, with a session or without, not a bot's, on `host`."""
        return {
            e["distinct_id"]
            for e in self.events
            if e["event"] == "$pageview"
            and e["properties"].get("$virt_is_bot") is not True
            and (host is None or e["properties"].get("$host") == host)
            and first <= datetime.fromisoformat(e["timestamp"]).date() <= last
        }

    def overview(
        self, first: date, last: date, properties: list[dict[str, Any]], include_bots: bool = False
    ) -> list[float | None]:
        views = self.counted(first, last, properties, include_bots)
        sessions = {row["session_id"]: row for _, row in views}
        if not sessions:
            return [0, 0, 0, None, None]
        rows = list(sessions.values())
        return [
            len({e["distinct_id"] for e, _ in views}),
            len(views),
            len(rows),
            sum(r["$session_duration"] for r in rows) / len(rows),
            100 * sum(bool(r["$is_bounce"]) for r in rows) / len(rows),
        ]

    def _value(self, breakdown: str, e: dict[str, Any], row: dict[str, Any], rules: Any) -> Any:
        source, key = BREAKDOWNS[breakdown]
        value = (e["properties"] if source == "event" else row).get(key)
        value = None if value in (None, "") else str(value)
        return clean(value, rules) if breakdown in PATHS else value

    def table(
        self,
        breakdown: str,
        first: date,
        last: date,
        properties: list[dict[str, Any]],
        rules: list[dict[str, str]],
        include_bots: bool = False,
    ) -> dict[Any, tuple[int, int, float | None]]:
        """value -> (visitors, views, bounce rate or None) over the period, for the values
        with views and those only entered on (no views: a row only if the other period
        has views for it)."""
        views = self.counted(first, last, properties, include_bots)
        persons: dict[Any, set[str]] = {}
        counts: dict[Any, int] = {}
        for e, row in views:
            value = self._value(breakdown, e, row, rules)
            persons.setdefault(value, set()).add(e["distinct_id"])
            counts[value] = counts.get(value, 0) + 1
        entered: dict[Any, dict[str, bool]] = {}
        if breakdown == "Page":  # sessions that entered on a path, `$pathname` filters aside
            views = self.counted(
                first, last, properties, include_bots, skip=lambda f: f["key"] == "$pathname"
            )
        for _, row in views:
            entry = clean(row["$entry_pathname"] or None, rules)
            entered.setdefault(entry, {})[row["session_id"]] = bool(row["$is_bounce"])
        table = {}
        for value in {**counts, **entered}:
            bounces = list(entered.get(value, {}).values())
            rate = sum(bounces) / len(bounces) if bounces else None
            table[value] = (len(persons.get(value, ())), counts.get(value, 0), rate)
        return table


def expected_rows(
    oracle: Oracle,
    breakdown: str,
    first: date,
    last: date,
    properties: list[dict[str, Any]],
    rules: list[dict[str, str]],
    include_bots: bool = False,
) -> list[list[Any]]:
    length = last - first + DAY
    now = oracle.table(breakdown, first, last, properties, rules, include_bots)
    before = oracle.table(breakdown, first - length, last - length, properties, rules, include_bots)
    shown = [
        v
        for v in {**before, **now}
        if (v is not None or breakdown.startswith("InitialUTM"))
        and now.get(v, (0, 0))[1] + before.get(v, (0, 0))[1] > 0
    ]
    empty = (0, 0, None)
    rows = []
    for value in shown:
        current, previous = now.get(value, empty), before.get(value, empty)
        row: list[Any] = [value, [current[0], previous[0]], [current[1], previous[1]]]
        if breakdown in ("Page", "InitialPage"):
            row.append([current[2], previous[2]])
        rows.append(row)
    rows.sort(key=lambda r: (-r[1][0], -r[2][0], r[0] is None, r[0] or ""))
    return rows


def rounded(value: Any) -> Any:
    """Rows with their fractions rounded (ClickHouse and Python divide the same integers)."""
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return round(value, 9) if isinstance(value, float) else value
