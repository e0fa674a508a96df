"""The rows of the web analytics pre-aggregate (`store/web_daily_schema.py`) for some days,
made from the raw events and the sessions table: what the background chore inserts for a
complete day, and what a query reads for the days the pre-aggregate does not list (today).

One SELECT, in three steps:

1. the page views of the days (and of the day before, to know each session's first page
   view, when sessions are asked for), as the web queries count them: `$pageview` with a
   `$session_id`, not a bot's;
2. joined with their session (start, entry path, duration, bounce, the session
   breakdowns), each marked when it is its session's first page view on its host, and
   whether that host is the one of the session's first page view;
3. each page view spread (ARRAY JOIN) into one row per kind: `''` (the tiles), one per
   `breakdownBy` with the page view's or session's value, and `entry` for the session's
   first page view on a host, with the entry path as value; grouped by
   (kind, day, session day, host, first host, value): page views counted, persons as a
   bitmap of their stored person index, and for `entry` rows the sessions, bounces and
   summed durations.

A fourth kind, `pageviews`, is not about sessions: per day and host, the persons of every
page view that is not a bot's, with or without a session, for the visitors-over-time chart
(a TrendsQuery of daily unique persons, `web_daily_trend.py`).

A page view is filed under its own day and its session's start day, so that a query for any
whole days can keep the page views that count in a period (both days in it:
docs/web-analytics.md#what-the-numbers-count). A session is filed once per host, under the
day of its first page view there; `first_host` marks the row of the host of its first page
view overall, the one to count when the query is not limited to a host. Sessions are taken
to last under a day (posthog-js ends one after 24 hours).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hedgerow.query.core import Compiler
from hedgerow.query.hogql.sessions_table import sessions_source
from hedgerow.query.hogql.tables import TableContext
from hedgerow.query.web_filters import not_bot_sql
from hedgerow.query.web_scope import BREAKDOWNS
from hedgerow.store.schema import EVENTS_TABLE

OVERVIEW, ENTRY, PAGEVIEWS = "", "entry", "pageviews"
KINDS = (OVERVIEW, ENTRY, PAGEVIEWS, *BREAKDOWNS)
ROW_COLUMNS = (
    "kind, day, session_day, host, first_host, value, views, persons, sessions, bounces, duration"
)
ONE_DAY = timedelta(days=1)


def local_midnight_utc(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


def rows_sql(c: Compiler, timezone: str, first: date, last: date, kinds: Sequence[str]) -> str:
    """`ROW_COLUMNS` for the page views of the days `first` to `last` (the project's time
    zone) and the sessions whose first page view on a host is in them, `kinds` only."""
    parts = []
    if PAGEVIEWS in kinds:
        parts.append(pageviews_sql(c, timezone, first, last))
    if others := [kind for kind in kinds if kind != PAGEVIEWS]:
        parts.append(_session_rows_sql(c, timezone, first, last, others))
    return " UNION ALL ".join(f"SELECT * FROM ({part})" for part in parts)


def pageviews_sql(c: Compiler, timezone: str, first: date, last: date) -> str:
    """The `pageviews` rows of the days: per day and host, the page views that are not a
    bot's and their persons (the session day is the day)."""
    tz = c.params.string(timezone)
    since = local_midnight_utc(first, timezone)
    until = local_midnight_utc(last + ONE_DAY, timezone) - timedelta(microseconds=1)
    where = [
        c.team(),
        "event = '$pageview'",
        *c.between(since, until),
        not_bot_sql(c.reader, c.reader.materialized),
    ]
    return (
        f"SELECT {c.params.string(PAGEVIEWS)} AS kind, toDate(timestamp, {tz}) AS day, "
        f"day AS session_day, {c.reader.text('event', '$host')} AS host, "
        "toUInt8(0) AS first_host, '' AS value, count() AS views, "
        "groupBitmapState(person_idx) AS persons, toUInt64(0) AS sessions, "
        "toUInt64(0) AS bounces, toInt64(0) AS duration "
        f"FROM {EVENTS_TABLE} WHERE {' AND '.join(where)} GROUP BY day, host"
    )


def _session_rows_sql(
    c: Compiler, timezone: str, first: date, last: date, kinds: Sequence[str]
) -> str:
    """The rows of the other kinds (page views joined with their sessions)."""
    tz = c.params.string(timezone)
    # Session rows need the page views of the day before (was the first one on the host
    # then?); page view rows only their own days.
    since = local_midnight_utc(first - ONE_DAY if ENTRY in kinds else first, timezone)
    until = local_midnight_utc(last + ONE_DAY, timezone) - timedelta(microseconds=1)
    by_source: dict[str, list[tuple[str, str]]] = {"event": [], "session": []}
    for kind in kinds:
        if kind in BREAKDOWNS:
            source, key = BREAKDOWNS[kind]
            by_source[source].append((kind, key))
    event_values, session_values = by_source["event"], by_source["session"]
    where = [
        c.team(),
        "event = '$pageview'",
        "`$session_id` != ''",
        *c.between(since, until),
        not_bot_sql(c.reader, c.reader.materialized),
    ]
    views = ", ".join(
        [
            "`$session_id` AS sid",
            "timestamp",
            f"toDate(timestamp, {tz}) AS day",
            "person_idx AS person",
            f"{c.reader.text('event', '$host')} AS host",
            *(f"{c.reader.text('event', key)} AS e{n}" for n, (_, key) in enumerate(event_values)),
        ]
    )
    page_views = f"SELECT {views} FROM {EVENTS_TABLE} WHERE {' AND '.join(where)}"
    reads = [
        "$start_timestamp",
        "$entry_pathname",
        "$session_duration",
        "$is_bounce",
        *(key for _, key in session_values),
    ]
    context = TableContext(
        team_id=c.env.team_id,
        timezone=timezone,
        materialized=c.reader.materialized,
        pending_overrides=False,
        params=c.params,
    )
    source = sessions_source(context, c.timestamp(since), reads)
    columns = ", ".join(
        [
            "session_id",
            f"toDate(`$start_timestamp`, {tz}) AS session_day",
            "ifNull(toString(`$entry_pathname`), '') AS entry",
            "toInt64(ifNull(`$session_duration`, 0)) AS s_duration",
            "ifNull(toUInt8(`$is_bounce`), 0) AS s_bounce",
            *(
                f"ifNull(toString(`{key}`), '') AS s{n}"
                for n, (_, key) in enumerate(session_values)
            ),
        ]
    )
    sessions = f"SELECT {columns} FROM ({source})"
    joined = (
        "SELECT *, "
        "row_number() OVER (PARTITION BY sid, host ORDER BY timestamp) = 1 AS first_on_host, "
        "first_value(host) OVER (PARTITION BY sid ORDER BY timestamp) = host AS on_first_host "
        f"FROM ({page_views}) AS e INNER JOIN ({sessions}) AS s ON e.sid = s.session_id"
    )
    names = {k: f"e{n}" for n, (k, _) in enumerate(event_values)}
    names.update({k: f"s{n}" for n, (k, _) in enumerate(session_values)})
    pairs = []
    for kind in kinds:
        value = {OVERVIEW: "''", ENTRY: "entry"}.get(kind) or names[kind]
        pairs.append(f"tuple({c.params.string(kind)}, {value})")
    spread = f"arrayFilter(kv -> (kv.1 != 'entry' OR first_on_host), [{', '.join(pairs)}])"
    return (
        "SELECT kv.1 AS kind, day, session_day, host, "
        "if(kind = 'entry', toUInt8(on_first_host), toUInt8(0)) AS first_host, kv.2 AS value, "
        "toUInt64(countIf(kind != 'entry')) AS views, groupBitmapState(person) AS persons, "
        "toUInt64(countIf(kind = 'entry')) AS sessions, "
        "toUInt64(countIf(kind = 'entry' AND s_bounce = 1)) AS bounces, "
        "toInt64(sumIf(s_duration, kind = 'entry')) AS duration "
        f"FROM ({joined}) ARRAY JOIN {spread} AS kv "
        f"WHERE day >= toDate({c.params.string(first.isoformat())}) "
        "GROUP BY kind, day, session_day, host, first_host, value"
    )
