"""Plain-Python answers for RetentionQuery, LifecycleQuery and StickinessQuery.

Written from the definitions in docs/queries.md, never calling Hedgerow code: an event's
interval is found from its local date (or local hour) in the project's zone, persons are
the dataset's effective persons (after `$identify` merges).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from analytics_data import Event

Match = Callable[[Event], bool]


class Intervals:
    """The intervals from the one holding `first` to the one holding `last` (local dates)."""

    def __init__(self, first: date, last: date, interval: str, tz: ZoneInfo) -> None:
        self.interval, self.tz = interval, tz
        if interval == "week":
            first -= timedelta(days=(first.weekday() + 1) % 7)
        elif interval == "month":
            first = first.replace(day=1)
        self.first, self.last = first, last
        self.start_hour = datetime(first.year, first.month, first.day, tzinfo=tz).astimezone(UTC)
        self.end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
        self.size = self.index_of_local(self.end - timedelta(microseconds=1)) + 1

    def index_of_local(self, moment: datetime) -> int:
        local = moment.astimezone(self.tz)
        day = local.date()
        if self.interval == "hour":
            hour = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
            return int((hour - self.start_hour).total_seconds() // 3600)
        if self.interval == "day":
            return (day - self.first).days
        if self.interval == "week":
            sunday = day - timedelta(days=(day.weekday() + 1) % 7)
            return (sunday - self.first).days // 7
        return day.year * 12 + day.month - (self.first.year * 12 + self.first.month)

    def index(self, event: Event) -> int:
        return self.index_of_local(event.timestamp)

    def before_end(self, event: Event) -> bool:
        return event.timestamp < self.end.astimezone(UTC)

    def inside(self, event: Event) -> bool:
        return self.before_end(event) and self.index(event) >= 0

    def interval_end(self, k: int) -> datetime:
        """When interval k is over (UTC)."""
        if self.interval == "hour":
            return self.start_hour + timedelta(hours=k + 1)
        if self.interval == "day":
            day = self.first + timedelta(days=k + 1)
        elif self.interval == "week":
            day = self.first + timedelta(days=7 * (k + 1))
        else:
            number = self.first.year * 12 + self.first.month - 1 + k + 1
            day = date(number // 12, number % 12 + 1, 1)
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).astimezone(UTC)


def stickiness(events: list[Event], match: Match, span: Intervals) -> list[int]:
    bars = stickiness_persons(events, match, span)
    return [len(bars.get(k, set())) for k in range(1, span.size + 1)]


def stickiness_persons(events: list[Event], match: Match, span: Intervals) -> dict[int, set[int]]:
    """Number of intervals -> the persons active in exactly that many."""
    seen: dict[int, set[int]] = {}
    for event in events:
        if match(event) and span.inside(event):
            seen.setdefault(event.person, set()).add(span.index(event))
    bars: dict[int, set[int]] = {}
    for person, intervals in seen.items():
        bars.setdefault(len(intervals), set()).add(person)
    return bars


def lifecycle(events: list[Event], match: Match, span: Intervals) -> dict[str, list[int]]:
    buckets = lifecycle_persons(events, match, span)
    data = {s: [0] * span.size for s in ("new", "returning", "resurrecting", "dormant")}
    for (status, k), persons in buckets.items():
        data[status][k] = -len(persons) if status == "dormant" else len(persons)
    return data


def lifecycle_persons(
    events: list[Event], match: Match, span: Intervals
) -> dict[tuple[str, int], set[int]]:
    """(status, interval) -> the persons with that status then."""
    first: dict[int, int] = {}
    active: dict[int, set[int]] = {}
    for event in events:
        if not span.before_end(event):
            continue
        k = span.index(event)
        first[event.person] = min(first.get(event.person, k), k)
        if match(event) and k >= -1:
            active.setdefault(event.person, set()).add(k)
    buckets: dict[tuple[str, int], set[int]] = {}
    for person, ks in active.items():
        for k in range(span.size):
            if k in ks:
                status = (
                    "new" if k == first[person] else "returning" if k - 1 in ks else "resurrecting"
                )
                buckets.setdefault((status, k), set()).add(person)
            elif k - 1 in ks:
                buckets.setdefault(("dormant", k), set()).add(person)
    return buckets


def retention(
    events: list[Event],
    target: Match,
    returning: Match,
    span: Intervals,
    total: int,
    first_time: bool,
    group: Callable[[Event], str] = lambda e: "",
) -> dict[str, dict[tuple[int, int], int]]:
    """Group -> (cohort, period) -> number of persons."""
    found = retention_persons(events, target, returning, span, total, first_time, group)
    return {g: {cell: len(p) for cell, p in cells.items()} for g, cells in found.items()}


def retention_persons(
    events: list[Event],
    target: Match,
    returning: Match,
    span: Intervals,
    total: int,
    first_time: bool,
    group: Callable[[Event], str] = lambda e: "",
) -> dict[str, dict[tuple[int, int], set[int]]]:
    """Group -> (cohort, period) -> persons."""
    starts: dict[tuple[int, str], set[int]] = {}
    first: dict[tuple[int, str], datetime] = {}
    returns: dict[tuple[int, str], set[int]] = {}
    for event in events:
        key = (event.person, group(event))
        if target(event) and span.before_end(event):
            first[key] = min(first.get(key, event.timestamp), event.timestamp)
            if span.inside(event):
                starts.setdefault(key, set()).add(span.index(event))
        if returning(event) and span.inside(event):
            returns.setdefault(key, set()).add(span.index(event))
    if first_time:
        starts = {key: {span.index_of_local(t)} for key, t in first.items()}
    cells: dict[str, dict[tuple[int, int], set[int]]] = {}
    for key, cohorts in starts.items():
        for cohort in cohorts:
            if not 0 <= cohort < span.size:
                continue
            found = cells.setdefault(key[1], {})
            found.setdefault((cohort, 0), set()).add(key[0])
            for period in range(1, min(total, span.size - cohort)):
                if cohort + period in returns.get(key, set()):
                    found.setdefault((cohort, period), set()).add(key[0])
    return cells


def weighted_mean(
    cells: dict[tuple[int, int], int], span: Intervals, total: int, now: datetime
) -> list[float | None]:
    means: list[float | None] = []
    for period in range(total):
        returned = size = 0
        for cohort in range(span.size - period):
            cohort_size = cells.get((cohort, 0), 0)
            if cohort_size and span.interval_end(cohort + period) <= now:
                returned += cells.get((cohort, period), 0)
                size += cohort_size
        means.append(100 * returned / size if size else None)
    return means
