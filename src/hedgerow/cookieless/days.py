"""Which day's salt an event uses, and how long a day's salt may be used.

As in PostHog: the calendar day of the event's timestamp in the event's `$timezone` (the
browser's), else the project's time zone, else UTC. A day is in use somewhere on Earth from
14 hours before its UTC midnight (UTC+14) until 36 hours after it (the end of the day at
UTC-12); after that, events of the day can still arrive for `max_lag` seconds (clients that
send late, ingestion that is behind). Past that the day's salt is destroyed and an event of
that day is dropped (`cookieless_timestamp_out_of_range`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EARLIEST_ZONE = timedelta(hours=14)  # UTC+14 starts a day 14 h before UTC does
LATEST_ZONE = timedelta(hours=36)  # UTC-12 ends it 36 h after UTC midnight


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def local_start_of_day(timestamp: datetime, event_zone: object, project_zone: str) -> datetime:
    """The start (an aware datetime) of the timestamp's calendar day in the event's zone,
    else the project's, else UTC."""
    zone = _zone(event_zone) or _zone(project_zone) or ZoneInfo("UTC")
    local = timestamp.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def day_of(timestamp: datetime, event_zone: object, project_zone: str) -> str:
    """The event's salt day, `YYYY-MM-DD`."""
    return local_start_of_day(timestamp, event_zone, project_zone).date().isoformat()


def _utc_midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)


def day_usable(day: str, now: float, max_lag: float) -> bool:
    """Whether events of `day` may still be hashed at `now` (epoch seconds)."""
    midnight = _utc_midnight(day).timestamp()
    earliest = midnight - EARLIEST_ZONE.total_seconds()
    return earliest <= now < salt_expiry(day, max_lag)


def salt_expiry(day: str, max_lag: float) -> float:
    """When the salt of `day` is destroyed (epoch seconds)."""
    return (_utc_midnight(day) + LATEST_ZONE).timestamp() + max_lag
