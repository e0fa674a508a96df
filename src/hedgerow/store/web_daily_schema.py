"""The web analytics pre-aggregate: per project and day, the page views and sessions of the
`/web` queries summed and their persons kept as bitmaps (docs/web-analytics.md,
"Pre-aggregated days").

`web_daily` holds the rows, an AggregatingMergeTree keyed by project, kind, day (the page
view's day, or the day of a session's first page view, in the project's time zone), build,
the session's start day, host and value. `web_daily_days` lists the days whose rows are
complete, with their build (the rows to read), the time zone they were cut in, a
fingerprint of the events they were built from, whether the day is provisional (not over
yet: read only while its fingerprint still holds, `query/web_daily_fresh.py`) and the
format of the rows (days of an earlier format are neither read nor kept). A day not listed
is read from the raw events. The background chore (`hedgerow.web_analytics.daily_chore`)
writes both: a day built again gets a new build, listed once its rows are in; the former
build stays listed (a query reads the highest) until some minutes after it was replaced,
then leaves the listing, and its rows go with it. Deletes of events (erasure, retention)
and the squash of merged persons take days out here at once, rows and all, under
`BUILD_LOCK`, so a build and a take-out never interleave. Rows of a build are deleted only
after the build left the listing, so a query that finds the builds it read still listed
once its statement ran has read them whole (`web_daily_read.from_days` reads again otherwise).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from hedgerow.store.schema import DATABASE

WEB_DAILY = f"{DATABASE}.web_daily"
WEB_DAILY_DAYS = f"{DATABASE}.web_daily_days"
BUILD_LOCK = threading.RLock()
# The format of the rows a build writes: a day listed with another one (built by an earlier
# version, without some kind of row) is built again and read from the raw events until then.
ROWS_FORMAT = 2  # 2: the `pageviews` rows (visitors over time)


def web_daily_ddl() -> list[str]:
    return [
        f"""
CREATE TABLE IF NOT EXISTS {WEB_DAILY} (
    team_id Int64,
    kind LowCardinality(String),
    day Date,
    build UInt64,
    session_day Date,
    host String,
    first_host UInt8,
    value String,
    views SimpleAggregateFunction(sum, UInt64),
    persons AggregateFunction(groupBitmap, UInt64),
    sessions SimpleAggregateFunction(sum, UInt64),
    bounces SimpleAggregateFunction(sum, UInt64),
    duration SimpleAggregateFunction(sum, Int64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (team_id, kind, day, build, session_day, host, first_host, value)
""",
        f"""
CREATE TABLE IF NOT EXISTS {WEB_DAILY_DAYS} (
    team_id Int64,
    day Date,
    build UInt64,
    timezone String,
    fingerprint UInt64,
    built_at DateTime64(6, 'UTC'),
    provisional UInt8 DEFAULT 0,
    rows_format UInt32 DEFAULT 0
)
ENGINE = MergeTree
ORDER BY (team_id, day)
""",
        # listings of stores from before provisional days and formats
        f"ALTER TABLE {WEB_DAILY_DAYS} ADD COLUMN IF NOT EXISTS provisional UInt8 DEFAULT 0",
        f"ALTER TABLE {WEB_DAILY_DAYS} ADD COLUMN IF NOT EXISTS rows_format UInt32 DEFAULT 0",
    ]


def forget_days(run: Callable[[str], Any], team_id: int, first: date, last: date) -> None:
    """Take the days `first` to `last` (any time zone's: callers widen UTC dates by a day)
    out of the pre-aggregate: no longer listed, their rows deleted (an erased person's
    paths and referrers must not stay behind)."""
    team = int(team_id)
    days = f"day >= toDate('{first.isoformat()}') AND day <= toDate('{last.isoformat()}')"
    with BUILD_LOCK:
        run(f"DELETE FROM {WEB_DAILY_DAYS} WHERE team_id = {team} AND {days}")
        run(f"DELETE FROM {WEB_DAILY} WHERE team_id = {team} AND {days}")


def days_of(run: Callable[[str], Any], events_where: str) -> tuple[date, date] | None:
    """The days of the events `events_where` selects, widened by a day each side (time
    zones, and sessions crossing midnight); None when it selects none."""
    found = run(
        "SELECT min(toDate(timestamp)) - 1, max(toDate(timestamp)) + 1, count() "
        f"FROM {DATABASE}.events WHERE {events_where}"
    ).rows
    if not found or not int(found[0][2]):
        return None
    return _as_date(found[0][0]), _as_date(found[0][1])


def forget_days_of(
    run: Callable[[str], Any], team_id: int, events_where: str
) -> tuple[date, date] | None:
    """Take out the days of the events `events_where` selects (`days_of`), before they are
    deleted. Returns the days, for the caller to take out again once the events are gone
    (a build that ran in between read them)."""
    days = days_of(run, events_where)
    if days is not None:
        forget_days(run, team_id, *days)
    return days


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
