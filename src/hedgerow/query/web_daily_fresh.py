"""Provisional days of the web analytics pre-aggregate: whether one still holds what the
events say (docs/web-analytics.md, "Pre-aggregated days").

A day not over yet (today, and yesterday until the chore's grace has passed) is built by the
chore like a complete one, once per interval at most, and listed as provisional with the
fingerprint of the events it was built from. A query reads such a day only while the
fingerprint of the events is still the listed one, and makes the day from the raw events
otherwise, so its answers are exact whatever arrived since the build.

A day's rows depend on the project's events from two days before it on (`since`): its own
page views, those of the day before (whose was a session's first page view), and the
sessions active since then, whose events reach back at most a day (sessions last under a
day). The fingerprint is of those events, read in one statement by the primary key:

- their number;
- the highest block number of the parts that hold them: ClickHouse numbers each insert's
  part above every earlier one, and a merge keeps the highest of its parts', so an event
  inserted since the build raises it and a merge does not change it;
- the highest mutation version of those parts: a delete or an update rewrites parts under
  a new version (erasure, retention and the squash also take the days out themselves).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import date, datetime

from hedgerow.query.web_daily_rows import ONE_DAY, local_midnight_utc
from hedgerow.store.events import EventStore
from hedgerow.store.schema import EVENTS_TABLE

MASK = (1 << 64) - 1


def since(day: date, timezone: str) -> datetime:
    """The earliest moment (UTC) whose events the day's rows depend on."""
    return local_midnight_utc(day - 2 * ONE_DAY, timezone)


def _stamp(moment: datetime) -> str:
    return f"toDateTime64('{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}', 6, 'UTC')"


def _versions(part: str) -> tuple[int, int]:
    """The highest block number and the mutation version in a part's name
    (`<partition>_<min block>_<max block>_<level>[_<mutation>]`)."""
    fields = part.split("_")
    return int(fields[2]), int(fields[4]) if len(fields) > 4 else 0


def _mix(count: int, block: int, mutation: int) -> int:
    return ((count * 1_000_003 + block) * 1_000_003 + mutation) & MASK


def _fingerprint(parts: list[tuple[str, int]]) -> int:
    count = sum(n for _, n in parts)
    try:
        versions = [_versions(part) for part, _ in parts]
    except (IndexError, ValueError):  # a name of another form: any change of part changes it
        names = ",".join(sorted(part for part, _ in parts)).encode()
        return _mix(count, zlib.crc32(names), 0)
    block = max((b for b, _ in versions), default=0)
    mutation = max((m for _, m in versions), default=0)
    return _mix(count, block, mutation)


def fingerprints(
    store: EventStore, team_id: int, timezone: str, days: Sequence[date]
) -> dict[date, int]:
    """Each day's fingerprint of the events its rows depend on, now."""
    if not days:
        return {}
    starts = {day: since(day, timezone) for day in days}
    counts = ", ".join(f"countIf(timestamp >= {_stamp(s)})" for s in starts.values())
    rows = store.query(
        f"SELECT _part, {counts} FROM {EVENTS_TABLE} WHERE team_id = {int(team_id)} "
        f"AND timestamp >= {_stamp(min(starts.values()))} GROUP BY _part"
    ).rows
    found = {}
    for n, day in enumerate(starts):
        parts = [(str(row[0]), int(row[1 + n])) for row in rows if int(row[1 + n])]
        found[day] = _fingerprint(parts)
    return found
