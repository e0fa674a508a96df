"""Resolving the dates people write: ISO dates and times, or relative ones like `-7d`.

Relative forms (PostHog's): `-<n><unit>` with unit `h` hours, `d` days, `w` weeks, `m`
months, `q` quarters, `y` years, optionally followed by `Start` or `End` to snap to the start
or end of that unit; `-<n>M` minutes; `now`, `today`, `yesterday`; `all` means no bound.

Everything is resolved in a time zone (the project's; UTC by default): `today` and
`-1mStart` snap to local midnights, and an ISO date or time without an offset is local time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from hedgerow.capture.timestamps import parse_timestamp
from hedgerow.errors import BadRequest

_RELATIVE = re.compile(r"^-?(\d+)([hdwmqyM])(Start|End)?$")


def _add_months(value: datetime, months: int) -> datetime:
    month_index = value.year * 12 + value.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    lengths = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    day = min(value.day, lengths[month - 1])
    return value.replace(year=year, month=month, day=day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _snap(value: datetime, unit: str, end: bool) -> datetime:
    if unit == "h":
        start = value.replace(minute=0, second=0, microsecond=0)
        return start + timedelta(hours=1) - timedelta(microseconds=1) if end else start
    if unit == "M":
        start = value.replace(second=0, microsecond=0)
        return start + timedelta(minutes=1) - timedelta(microseconds=1) if end else start
    day = value.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        start = day
        following = start + timedelta(days=1)
    elif unit == "w":
        start = day - timedelta(days=(day.weekday() + 1) % 7)  # weeks start on Sunday
        following = start + timedelta(days=7)
    elif unit == "m":
        start = day.replace(day=1)
        following = _add_months(start, 1)
    elif unit == "q":
        start = day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1)
        following = _add_months(start, 3)
    else:
        start = day.replace(month=1, day=1)
        following = start.replace(year=start.year + 1)
    return following - timedelta(microseconds=1) if end else start


def resolve_date(
    text: str | None, *, now: datetime | None = None, tz: tzinfo = UTC
) -> datetime | None:
    """A UTC datetime for a date expression, or None for no bound (`all` or empty)."""
    local = resolve_local_date(text, now=(now or datetime.now(UTC)).astimezone(tz), tz=tz)
    return None if local is None else local.astimezone(UTC)


def is_relative(text: str) -> bool:
    """Whether a date expression is relative to now (as opposed to an ISO date or time)."""
    return text in ("now", "today", "dStart", "yesterday") or bool(_RELATIVE.match(text))


def resolve_local_date(text: str | None, *, now: datetime, tz: tzinfo) -> datetime | None:
    """Like `resolve_date`, as an aware datetime in `tz`; `now` must be in `tz` already."""
    if text is None or text == "" or text == "all":
        return None
    if not isinstance(text, str):
        raise BadRequest(f"{text!r} is not a date; send a string.", code="invalid_date")
    if text == "now":
        return now
    if text in ("today", "dStart"):
        return _snap(now, "d", False)
    if text == "yesterday":
        return _snap(now - timedelta(days=1), "d", False)
    match = _RELATIVE.match(text)
    if match:
        amount, unit, snap = int(match.group(1)), match.group(2), match.group(3)
        if unit == "h":
            value = now - timedelta(hours=amount)
        elif unit == "M":
            value = now - timedelta(minutes=amount)
        elif unit == "d":
            value = now - timedelta(days=amount)
        elif unit == "w":
            value = now - timedelta(weeks=amount)
        elif unit == "m":
            value = _add_months(now, -amount)
        elif unit == "q":
            value = _add_months(now, -3 * amount)
        else:
            value = _add_months(now, -12 * amount)
        return _snap(value, unit, snap == "End") if snap else value
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        naive = None
    if naive is not None and naive.tzinfo is None:
        return naive.replace(tzinfo=tz)
    parsed = parse_timestamp(text)
    if parsed is None:
        raise BadRequest(
            f"{text!r} is not a date. Use ISO 8601 ('2026-11-01' or '2026-11-01T10:00:00Z') "
            "or a relative date such as '-7d', '-24h', '-1mStart' or 'all'.",
            code="invalid_date",
        )
    return parsed.astimezone(tz)
