"""Event and property definitions: what a project has sent, so users can discover filters.

Computed from the events table, incrementally. Each active part of the table is scanned once
(event names, and every property key with the type of its value) and its totals are kept in
memory by the part's block range. A part that a merge made from parts already counted gets
their sum without a scan; a new insert is a new block range and is scanned on the next
request. So a request costs a look at `system.parts` plus a scan of what arrived since the
last one; the first request after a start scans everything once. Scans go a few hundred
thousand rows a statement, and what each statement counted is kept at once, so a long scan
that fails part-way (a query timeout) resumes where it stopped instead of starting again.

SQL queries use the property types to read `properties.<key>` as numbers or dates. They do
not wait for a large scan: past `SYNC_SCAN_ROWS` unscanned rows they use the types known so
far and the scan runs in the background. (Waiting made a soak's SQL query, run every five
minutes, scan the five minutes' million events first; once that took longer than the query
timeout it failed, started again on the next request with more to scan, and never caught
up: a core busy for good and every such query timing out.)

A server keeps up without requests (`start_keeping_up`): every few seconds it scans the parts
inserted since, so parts are known before ClickHouse merges them. A merged part is then the
sum of known parts, with no scan; one made from a part never scanned has to be scanned whole.
Left to requests (the soak's SQL query every five minutes), the merges of those minutes had
made parts of up to millions of rows, each scanned whole again once it took in a part not
yet scanned: 0.9-3.8 million rows and 0.8-3.2 GB read a statement, 10-30 s, the memory of
the largest of them kept by ClickHouse's allocator (docs/benchmarks.md, session 11).

Person properties come from the persons table (current properties; `volume` counts persons),
computed at most every few seconds.

Types are inferred per value as PostHog does: JSON numbers are Numeric (a 10- or 13-digit
number under a key containing "time" or "timestamp" is a DateTime), JSON booleans and the
strings "true"/"false" are Boolean, strings that look like dates are DateTime, other strings
String. A property's type is the one most of its values have.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hedgerow.store.events import EventStore
from hedgerow.store.schema import DATABASE, EVENTS_TABLE, quote_string

log = logging.getLogger(__name__)

TYPES = ("Numeric", "String", "Boolean", "DateTime")
SCAN_ROWS = 300_000  # rows of new parts read by one statement
SYNC_SCAN_ROWS = 200_000  # more unscanned rows than this: SQL typing does not wait for them
PERSON_CACHE_SECONDS = 5.0
SKIPPED_KEYS = ("$set", "$set_once", "$unset", "$groups")
KEEP_UP_SECONDS = 5.0  # how often a server scans new parts without a request
BACKGROUND_SCAN_SECONDS = 600  # a scan nobody waits for is not held to the API's time limit

_DATE = (
    r"^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}([T ]\d{2}:\d{2}(:\d{2})?)?"
    r"|[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(:\d{2})?( [A-Z]{3}|[+-]\d{4})?)$"
)


def classify_sql(key: str, raw: str) -> str:
    """SQL naming the type of one JSON value (`raw` is its JSON text): one of TYPES, or ''
    for null, objects and arrays."""
    text = f"JSONExtractString({raw})"
    return (
        f"multiIf({raw} = 'null', '', {raw} IN ('true', 'false'), 'Boolean', "
        f"startsWith({raw}, '\"'), multiIf(lower({text}) IN ('true', 'false'), 'Boolean', "
        f"match({text}, {quote_string(_DATE)}), 'DateTime', 'String'), "
        f"match({raw}, '^-?[0-9]'), if(match(lower({key}), 'time') AND "
        f"match({raw}, '^([0-9]{{10}}|[0-9]{{13}})$'), 'DateTime', 'Numeric'), '')"
    )


@dataclass
class Stat:
    volume: int = 0
    first_seen: str = ""
    last_seen: str = ""
    types: Counter[str] = field(default_factory=Counter)

    def add(self, volume: int, first: str, last: str, kind: str) -> None:
        self.volume += volume
        self.first_seen = min(self.first_seen, first) if self.first_seen else first
        self.last_seen = max(self.last_seen, last)
        if kind:
            self.types[kind] += volume

    def merge(self, other: Stat) -> None:
        self.volume += other.volume
        if other.first_seen:
            self.first_seen = (
                min(self.first_seen, other.first_seen) if self.first_seen else other.first_seen
            )
        self.last_seen = max(self.last_seen, other.last_seen)
        self.types.update(other.types)

    @property
    def property_type(self) -> str | None:
        if not self.types:
            return None
        order = {t: i for i, t in enumerate(TYPES)}
        return min(self.types, key=lambda t: (-self.types[t], order.get(t, 9)))


# team -> ("" for event names | "event", name) -> Stat
TeamStats = dict[tuple[str, str], Stat]
PartKey = tuple[str, int, int]  # partition, first block, last block


@dataclass
class _Part:
    partition: str
    min_block: int
    max_block: int
    rows: int
    teams: dict[int, TeamStats]


def _merge_into(target: dict[int, TeamStats], teams: dict[int, TeamStats]) -> None:
    for team, stats in teams.items():
        mine = target.setdefault(team, {})
        for key, stat in stats.items():
            mine.setdefault(key, Stat()).merge(stat)


class Definitions:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._parts: dict[PartKey, _Part] = {}
        self._persons: dict[int, tuple[float, TeamStats]] = {}
        self._background: threading.Thread | None = None
        self._keeper: threading.Thread | None = None
        self._stop = threading.Event()

    def start_keeping_up(self, interval: float = KEEP_UP_SECONDS) -> None:
        """Scan new parts every `interval` seconds from now on, without requests."""

        def run() -> None:
            while not self._stop.wait(interval):
                self._background_refresh()

        self._keeper = threading.Thread(target=run, name="definitions-keeper", daemon=True)
        self._keeper.start()

    def stop(self) -> None:
        """Stop keeping up (before the store closes)."""
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join(BACKGROUND_SCAN_SECONDS)

    # -- events ----------------------------------------------------------------------

    def event_stats(self, team_id: int) -> TeamStats:
        """Event names (key ("", name)) and event properties (key ("event", key))."""
        with self._lock:
            self._refresh()
        return self._totals(team_id)

    def _totals(self, team_id: int) -> TeamStats:
        total: dict[int, TeamStats] = {}
        for part in self._parts.values():  # a dict that is replaced, never changed
            if team_id in part.teams:
                _merge_into(total, {team_id: part.teams[team_id]})
        return total.get(team_id, {})

    def _known_event_stats(self, team_id: int) -> TeamStats:
        """`event_stats` without waiting for a large scan: that one runs in the background
        and these are the stats known so far."""
        with self._lock:
            caught_up = self._refresh(most=SYNC_SCAN_ROWS)
        if not caught_up:
            self._refresh_in_background()
        return self._totals(team_id)

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._background is not None and self._background.is_alive():
                return

            self._background = threading.Thread(
                target=self._background_refresh, name="definitions", daemon=True
            )
            self._background.start()

    def _background_refresh(self) -> None:
        """A scan nobody waits for: a failure is logged, and the next one resumes."""
        try:
            with self._lock:
                self._refresh(background=True)
        except Exception:
            log.warning("definitions: a background scan of new parts failed", exc_info=True)

    def _refresh(self, most: int | None = None, *, background: bool = False) -> bool:
        """Bring the parts up to date; with `most`, only if at most that many rows need a
        scan (False when more do, and nothing was scanned). A `background` scan may take
        longer than the API's query time limit."""
        active = self.store.query(
            "SELECT name, partition_id, min_block_number, max_block_number, rows "
            "FROM system.parts WHERE database = {db:String} AND table = 'events' AND active",
            {"db": DATABASE},
        ).rows
        kept: dict[PartKey, _Part] = {}
        to_scan: dict[str, tuple[str, int, int, int]] = {}
        for name, partition, low_, high_, rows_ in active:
            low, high, rows = int(low_), int(high_), int(rows_)
            key = (partition, low, high)
            known = self._parts.get(key)
            if known is not None and known.rows == rows:
                kept[key] = known
                continue
            covered = [
                p
                for k, p in self._parts.items()
                if k[0] == partition and low <= k[1] and k[2] <= high
            ]
            if covered and sum(p.rows for p in covered) == rows:
                teams: dict[int, TeamStats] = {}
                for p in covered:
                    _merge_into(teams, p.teams)
                kept[key] = _Part(partition, low, high, rows, teams)
            else:
                to_scan[name] = (partition, low, high, rows)
        if most is not None and sum(p[3] for p in to_scan.values()) > most:
            return False
        try:
            for chunk in _chunks(to_scan, SCAN_ROWS):
                kept.update(self._scan(chunk, background))
        finally:
            self._parts = kept  # what was scanned is kept, even when a later chunk failed
        return True

    def _scan(
        self, parts: dict[str, tuple[str, int, int, int]], background: bool = False
    ) -> dict[PartKey, _Part]:
        if not parts:
            return {}
        names = ", ".join(quote_string(name) for name in parts)
        skipped = ", ".join(quote_string(k) for k in SKIPPED_KEYS)
        kind = classify_sql("kv.1", "kv.2")
        sql = (
            "SELECT _part, team_id, item.1 AS source, item.2 AS name, item.3 AS kind, count(), "
            "toString(min(timestamp)), toString(max(timestamp)) FROM ("
            "SELECT _part, team_id, timestamp, arrayConcat([('', toString(event), '')], "
            f"arrayMap(kv -> ('event', kv.1, {kind}), arrayFilter(kv -> kv.1 NOT IN "
            f"({skipped}), JSONExtractKeysAndValuesRaw(properties)))) AS items "
            f"FROM {EVENTS_TABLE} WHERE _part IN ({names})"
            ") ARRAY JOIN items AS item GROUP BY _part, team_id, source, name, kind"
        )
        found: dict[str, dict[int, TeamStats]] = {}
        limits = {"max_execution_time": BACKGROUND_SCAN_SECONDS} if background else None
        counted = self.store.query(sql, settings=limits).rows
        for part, team, source, name, kind, count, first, last in counted:
            stats = found.setdefault(part, {}).setdefault(int(team), {})
            stats.setdefault((source, name), Stat()).add(int(count), first, last, kind)
        scanned = {}
        for name, (partition, low, high, rows) in parts.items():
            teams = found.get(name, {})
            events = sum(s.volume for t in teams.values() for (src, _), s in t.items() if not src)
            if events != rows:  # the part was merged away before the scan read it: next time
                continue
            scanned[(partition, low, high)] = _Part(partition, low, high, rows, teams)
        return scanned

    # -- persons ---------------------------------------------------------------------

    def person_stats(self, team_id: int) -> TeamStats:
        """Person properties (key ("person", key)) of the project's current persons."""
        cached = self._persons.get(team_id)
        if cached is not None and time.monotonic() - cached[0] < PERSON_CACHE_SECONDS:
            return cached[1]
        kind = classify_sql("kv.1", "kv.2")
        rows = self.store.query(
            f"SELECT kv.1 AS name, {kind} AS kind, count(), toString(min(created_at)), "
            f"toString(max(created_at)) FROM {DATABASE}.persons FINAL "
            "ARRAY JOIN JSONExtractKeysAndValuesRaw(properties) AS kv "
            "WHERE team_id = {team:Int64} AND is_deleted = 0 GROUP BY name, kind",
            {"team": team_id},
        ).rows
        stats: TeamStats = {}
        for name, kind_, count, first, last in rows:
            stats.setdefault(("person", name), Stat()).add(int(count), first, last, kind_)
        self._persons[team_id] = (time.monotonic(), stats)
        return stats

    def property_types(self, team_id: int) -> dict[tuple[str, str], str]:
        """("event" | "person", key) -> inferred type, for typing `properties.<key>` in SQL."""
        types: dict[tuple[str, str], str] = {}
        for stats in (self._known_event_stats(team_id), self.person_stats(team_id)):
            for (source, name), stat in stats.items():
                property_type = stat.property_type
                if source and property_type:
                    types[(source, name)] = property_type
        return types


def _chunks(
    parts: dict[str, tuple[str, int, int, int]], rows: int
) -> list[dict[str, tuple[str, int, int, int]]]:
    """The parts in groups of about `rows` rows (a bigger part is a group of its own)."""
    chunks: list[dict[str, tuple[str, int, int, int]]] = []
    size = 0
    for name, part in parts.items():
        if not chunks or size + part[3] > rows:
            chunks.append({})
            size = 0
        chunks[-1][name] = part
        size += part[3]
    return chunks


def iso(value: str) -> str | None:
    return value.replace(" ", "T", 1) + "Z" if value else None


def definitions_json(stats: TeamStats, source: str) -> list[dict[str, Any]]:
    return [
        {"name": name, **_stat_json(stat)}
        for (kind, name), stat in sorted(stats.items())
        if kind == source
    ]


def _stat_json(stat: Stat) -> dict[str, Any]:
    return {
        "volume": stat.volume,
        "first_seen_at": iso(stat.first_seen),
        "last_seen_at": iso(stat.last_seen),
        "property_type": stat.property_type,
    }
