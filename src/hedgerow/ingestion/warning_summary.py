"""Ingestion warnings by type: how many, the last one, and how many each day of the last 30.

Days are the project's (its time zone): warnings are counted in SQLite in quarter-hour
buckets, which every zone's midnight falls on (offsets are whole quarter hours), and each
bucket is then given to the local day it starts in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hedgerow.ingestion.outcomes import DiscardReason

DAYS = 30
BUCKET_SECONDS = 15 * 60
DISCARDING = frozenset(reason.value for reason in DiscardReason)


@dataclass(frozen=True)
class TypeSummary:
    type: str
    discards: bool  # the event was not stored (a discard reason), else a warning that kept it
    count: int
    last_seen: datetime
    daily: list[tuple[date, int]]  # the last `DAYS` local days, oldest first, today last


def window_start(now: datetime, timezone: str, days: int = DAYS) -> datetime:
    """Local midnight starting the first of the last `days` days (today included)."""
    zone = ZoneInfo(timezone)
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    return datetime.combine(first, time(), zone)


def summarize(
    totals: Sequence[tuple[str, int, float]],
    buckets: Sequence[tuple[str, float, int]],
    timezone: str,
    now: datetime,
    days: int = DAYS,
) -> list[TypeSummary]:
    """One summary per warning type in `totals` (type, count, last seen as epoch seconds),
    with `buckets` (type, bucket start, count) added up by local day; the most recently seen
    type first."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    dates = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    per_day: dict[str, dict[date, int]] = {}
    for type_, start, count in buckets:
        day = datetime.fromtimestamp(start, zone).date()
        counts = per_day.setdefault(type_, {})
        counts[day] = counts.get(day, 0) + count
    summaries = [
        TypeSummary(
            type=type_,
            discards=type_ in DISCARDING,
            count=count,
            last_seen=datetime.fromtimestamp(last, UTC),
            daily=[(d, per_day.get(type_, {}).get(d, 0)) for d in dates],
        )
        for type_, count, last in totals
    ]
    return sorted(summaries, key=lambda s: (-s.last_seen.timestamp(), s.type))
