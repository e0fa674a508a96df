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

- their number and the sum of their uuids' hashes: an event inserted or deleted since the
  build changes them, and a merge of parts (which ClickHouse does all the time) does not;
- the highest mutation version of the parts that hold them: an update rewrites parts under
  a new version (erasure, retention and the squash of merged persons also take the days out
  themselves). A merge of a part with a version and a part inserted after it can change
  this without changing an event: the day is then made from the raw events until the
  chore's next run, right but slower.
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


def _mutation(part: str) -> int:
    """The mutation version in a part's name
    (`<partition>_<min block>_<max block>_<level>[_<mutation>]`)."""
    fields = part.split("_")
    return int(fields[4]) if len(fields) > 4 else 0


def _mix(*values: int) -> int:
    found = 0
    for value in values:
        found = (found * 1_000_003 + value) & MASK
    return found


def _fingerprint(parts: list[tuple[str, int, int]]) -> int:
    """Of the (part name, events, sum of their uuids' hashes) that hold the day's events."""
    count = sum(n for _, n, _ in parts)
    hashes = sum(h for _, _, h in parts) & MASK
    try:
        mutation = max((_mutation(part) for part, _, _ in parts), default=0)
    except (IndexError, ValueError):  # a name of another form: any change of part changes it
        mutation = zlib.crc32(",".join(sorted(part for part, _, _ in parts)).encode())
    return _mix(count, hashes, mutation)


def fingerprints(
    store: EventStore, team_id: int, timezone: str, days: Sequence[date]
) -> dict[date, int]:
    """Each day's fingerprint of the events its rows depend on, now."""
    if not days:
        return {}
    starts = {day: since(day, timezone) for day in days}
    measures = ", ".join(
        f"countIf(timestamp >= {_stamp(s)}), sumIf(cityHash64(uuid), timestamp >= {_stamp(s)})"
        for s in starts.values()
    )
    rows = store.query(
        f"SELECT _part, {measures} FROM {EVENTS_TABLE} WHERE team_id = {int(team_id)} "
        f"AND timestamp >= {_stamp(min(starts.values()))} GROUP BY _part"
    ).rows
    found = {}
    for n, day in enumerate(starts):
        count, hashes = 1 + 2 * n, 2 + 2 * n
        parts = [
            (str(row[0]), int(row[count]), int(row[hashes])) for row in rows if int(row[count])
        ]
        found[day] = _fingerprint(parts)
    return found
