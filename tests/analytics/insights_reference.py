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
    seen: dict[int, set[int]] = {}
    for event in events:
        if match(event) and span.inside(event):
            seen.setdefault(event.person, set()).add(span.index(event))
    data = [0] * span.size
    for intervals in seen.values():
        data[len(intervals) - 1] += 1
    return data


def lifecycle(events: list[Event], match: Match, span: Intervals) -> dict[str, list[int]]:
    first: dict[int, int] = {}
    active: dict[int, set[int]] = {}
    for event in events:
        if not span.before_end(event):
            continue
        k = span.index(event)
        first[event.person] = min(first.get(event.person, k), k)
        if match(event) and k >= -1:
            active.setdefault(event.person, set()).add(k)
    data = {s: [0] * span.size for s in ("new", "returning", "resurrecting", "dormant")}
    for person, ks in active.items():
        for k in range(span.size):
            if k in ks:
                status = (
                    "new" if k == first[person] else "returning" if k - 1 in ks else "resurrecting"
                )
                data[status][k] += 1
            elif k - 1 in ks:
                data["dormant"][k] -= 1
    return data


def retention(
    events: list[Event],
    target: Match,
    returning: Match,
    span: Intervals,
    total: int,
    first_time: bool,
    group: Callable[[Event], str] = lambda e: "",
) -> dict[str, dict[tuple[int, int], int]]:
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
    cells: dict[str, dict[tuple[int, int], int]] = {}
    for key, cohorts in starts.items():
        for cohort in cohorts:
            if not 0 <= cohort < span.size:
                continue
            found = cells.setdefault(key[1], {})
            found[(cohort, 0)] = found.get((cohort, 0), 0) + 1
            for period in range(1, min(total, span.size - cohort)):
                if cohort + period in returns.get(key, set()):
                    cell = (cohort, period)
                    found[cell] = found.get(cell, 0) + 1
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
