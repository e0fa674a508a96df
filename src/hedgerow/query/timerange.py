"""Date ranges and intervals in the project's time zone, as PostHog resolves them.

`dateRange` is `{"date_from", "date_to", "explicitDate"}` with ISO or relative dates (see
dates.py). `date_from` defaults to `-7d`, `date_to` to now. Unless `explicitDate` is true,
`date_from` snaps to the start of its day (of its hour for `hour`) and `date_to` to the end
of its day (hour; a plain date `2026-11-01` always ends with its day). The first interval
starts at the start of the interval holding `date_from` (weeks start on Sunday, months on
the 1st), so that every interval is whole, and the query reads events from there to
`date_to` inclusive. Buckets are local: a day is a day
on the project's clock, daylight saving included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.dates import resolve_local_date
from hedgerow.query.sql import SqlParams

INTERVALS = ("hour", "day", "week", "month")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_DATE_FROM = "-7d"
MAX_BUCKETS = 10_000


def start_of_interval(value: datetime, interval: str) -> datetime:
    """The local start of the interval that holds `value` (aware, in its own zone)."""
    if interval == "hour":
        return value.replace(minute=0, second=0, microsecond=0)
    day = value.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=(day.weekday() + 1) % 7)
    return day.replace(day=1)


def next_interval(value: datetime, interval: str, count: int = 1) -> datetime:
    """`count` intervals after an interval start (negative: before); wall-clock for days."""
    if interval == "hour":
        moved = value.astimezone(UTC) + timedelta(hours=count)
        assert value.tzinfo is not None
        return moved.astimezone(value.tzinfo)
    if interval == "day":
        return value + timedelta(days=count)
    if interval == "week":
        return value + timedelta(days=7 * count)
    index = value.year * 12 + value.month - 1 + count
    return value.replace(year=index // 12, month=index % 12 + 1, day=1)


@dataclass(frozen=True)
class TimeRange:
    start: datetime  # local start of the first interval
    end: datetime  # local, inclusive
    interval: str
    tz: tzinfo

    def bucket_starts(self) -> list[datetime]:
        starts = []
        current = self.start
        while current <= self.end:
            starts.append(current)
            current = next_interval(current, self.interval)
        return starts

    def key(self, local_start: datetime) -> str:
        """The key `bucket_sql` gives the same interval."""
        if self.interval == "hour":
            return str(int(local_start.timestamp()))
        return local_start.date().isoformat()

    def day(self, local_start: datetime) -> str:
        if self.interval == "hour":
            return local_start.strftime("%Y-%m-%d %H:%M:%S")
        return local_start.date().isoformat()

    def label(self, local_start: datetime) -> str:
        text = f"{local_start.day}-{local_start.strftime('%b-%Y')}"
        return text + local_start.strftime(" %H:%M") if self.interval == "hour" else text

    def shifted(self, count: int) -> TimeRange:
        """The same number of intervals, `count` intervals earlier (negative) or later."""
        starts = self.bucket_starts()
        start = next_interval(self.start, self.interval, count)
        last = next_interval(start, self.interval, len(starts) - 1)
        end = next_interval(last, self.interval) - timedelta(microseconds=1)
        return TimeRange(start, end, self.interval, self.tz)

    def moved_to(self, start: datetime) -> TimeRange:
        """The same number of intervals, starting in the interval that holds `start`."""
        count = len(self.bucket_starts())
        first = start_of_interval(start, self.interval)
        last = next_interval(first, self.interval, count - 1)
        end = next_interval(last, self.interval) - timedelta(microseconds=1)
        return TimeRange(first, end, self.interval, self.tz)

    def utc_start(self) -> datetime:
        return self.start.astimezone(UTC)

    def utc_end(self) -> datetime:
        return self.end.astimezone(UTC)

    def as_json(self) -> dict[str, str]:
        return {"date_from": self.start.isoformat(), "date_to": self.end.isoformat()}


def unit_sql(interval: str, tz_sql: str, column: str = "timestamp") -> str:
    """The local hour (for `hour`) or local date (otherwise) of a timestamp."""
    if interval == "hour":
        return f"toStartOfHour(toTimeZone({column}, {tz_sql}))"
    return f"toDate({column}, {tz_sql})"


def bucket_of_unit_sql(interval: str, unit: str) -> str:
    """The bucket key (a string, as `TimeRange.key`) of a `unit_sql` value."""
    if interval == "hour":
        return f"toString(toUnixTimestamp({unit}))"
    if interval == "day":
        return f"toString({unit})"
    if interval == "week":
        return f"toString(toStartOfWeek({unit}, 0))"
    return f"toString(toStartOfMonth({unit}))"


def bucket_sql(interval: str, params: SqlParams, tz_name: str, column: str = "timestamp") -> str:
    return bucket_of_unit_sql(interval, unit_sql(interval, params.string(tz_name), column))


def interval_of(query: dict[str, Any]) -> str:
    interval = query.get("interval") or "day"
    if interval not in INTERVALS:
        raise BadRequest(
            f"Unknown interval {interval!r}; use one of {', '.join(INTERVALS)}.",
            code="invalid_query",
        )
    return str(interval)


def resolve_range(
    date_range: Any,
    interval: str,
    tz: tzinfo,
    *,
    now: datetime | None = None,
    earliest: Callable[[], datetime | None] | None = None,
) -> TimeRange:
    """Resolve a `dateRange` object; `earliest` gives the first event's time for `all`."""
    if date_range is None:
        date_range = {}
    if not isinstance(date_range, dict):
        raise BadRequest(
            '`dateRange` must be an object like {"date_from": "-7d", "date_to": null}.',
            code="invalid_query",
        )
    now_local = (now or datetime.now(UTC)).astimezone(tz)
    from_text = date_range.get("date_from") or DEFAULT_DATE_FROM
    if from_text == "all":
        first = earliest() if earliest else None
        date_from = (first or now_local).astimezone(tz)
    else:
        found = resolve_local_date(from_text, now=now_local, tz=tz)
        assert found is not None
        date_from = found
    to_text = date_range.get("date_to")
    date_to = resolve_local_date(to_text, now=now_local, tz=tz) if to_text else None
    date_to = date_to or now_local
    if not date_range.get("explicitDate"):
        unit = "hour" if interval == "hour" else "day"
        date_from = start_of_interval(date_from, unit)
        # A plain date as `date_to` means that whole day, whatever the interval.
        to_unit = "day" if _DATE_ONLY.match(str(to_text or "")) else unit
        date_to = start_of_interval(date_to, to_unit)
        date_to = next_interval(date_to, to_unit) - timedelta(microseconds=1)
    if date_to < date_from:
        raise BadRequest(
            f"`date_to` ({date_to.isoformat()}) is before `date_from` ({date_from.isoformat()}).",
            code="invalid_query",
        )
    result = TimeRange(start_of_interval(date_from, interval), date_to, interval, tz)
    _check_size(result)
    return result


def _check_size(time_range: TimeRange) -> None:
    seconds = (time_range.end - time_range.start).total_seconds()
    per_bucket = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 28 * 86400}
    if seconds / per_bucket[time_range.interval] > MAX_BUCKETS:
        raise BadRequest(
            f"The date range has more than {MAX_BUCKETS} {time_range.interval}s; use a "
            "shorter range or a longer interval.",
            code="invalid_query",
        )


def interval_index_sql(time_range: TimeRange, params: SqlParams, tz_name: str, column: str) -> str:
    """The number of the range's interval that holds `column` (a UTC DateTime64): 0 for the
    first, negative before the range, counted on the local clock. Intervals are whole days,
    Sunday weeks and calendar months of the local date (hours: local hour starts), so every
    interval of the range has one number and the answer is exact across DST changes."""
    tz = params.string(tz_name)
    start = time_range.start
    if time_range.interval == "hour":
        first = params.integer(int(start.timestamp()))
        local_hour = f"toUnixTimestamp(toStartOfHour(toTimeZone({column}, {tz})))"
        return f"intDiv({local_hour} - {first}, 3600)"
    local_date = f"toDate({column}, {tz})"
    if time_range.interval == "month":
        month_number = start.year * 12 + start.month
        return f"(toRelativeMonthNum({local_date}) - {params.integer(month_number)})"
    day_number = params.integer((start.date() - date(1970, 1, 1)).days)
    if time_range.interval == "week":
        return f"intDiv(toRelativeDayNum(toStartOfWeek({local_date}, 0)) - {day_number}, 7)"
    return f"(toRelativeDayNum({local_date}) - {day_number})"


def interval_key_sql(interval: str, params: SqlParams, tz_name: str, column: str) -> str:
    """A value naming the local interval that holds `column` (a Date, or a DateTime for
    hours): the same for two moments of one interval, different otherwise. Cheaper than
    `interval_index_sql` where only distinct intervals are counted (no arithmetic per row,
    and a 2-byte Date hashes faster than an Int64)."""
    tz = params.string(tz_name)
    if interval == "hour":
        return f"toStartOfHour(toTimeZone({column}, {tz}))"
    local_date = f"toDate({column}, {tz})"
    if interval == "week":
        return f"toStartOfWeek({local_date}, 0)"
    if interval == "month":
        return f"toStartOfMonth({local_date})"
    return local_date
