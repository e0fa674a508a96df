"""The `sessions` table of SQL: one row per session of the project, PostHog's column names.

It finishes the aggregate states of `hedgerow.sessions` (kept at ingestion by the store's
inserts, see store/sessions_schema.py) grouped by session, then derives duration, host and
path, bounce and channel type. Empty values read as NULL, as PostHog's `sessions` does.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from hedgerow.store.sessions_schema import (
    FIRST_EVENT_PROPERTIES,
    FIRST_SEEN_PROPERTIES,
    SESSIONS_TABLE,
)
from hedgerow.web_analytics.channel_sql import channel_maps_sql, channel_type_sql

if TYPE_CHECKING:
    from hedgerow.query.hogql.tables import TableContext

# PostHog's default: a session with one page view and no autocapture is a bounce unless it
# lasts this long (docs/web-analytics.md).
BOUNCE_SECONDS = 10

# Table column -> the name a query uses for it.
FIRST_EVENT_COLUMNS = {
    column: "$entry_" + column.removeprefix("initial_") for column in FIRST_EVENT_PROPERTIES
}
FIRST_SEEN_COLUMNS = {
    "initial_device_type": "$device_type",
    "initial_browser": "$browser",
    "initial_os": "$os",
    "initial_country_code": "$geoip_country_code",
}
assert FIRST_SEEN_COLUMNS.keys() == FIRST_SEEN_PROPERTIES.keys()

SESSION_COLUMNS = (
    "session_id",
    "distinct_id",
    "$start_timestamp",
    "$end_timestamp",
    "$session_duration",
    "$entry_current_url",
    "$entry_hostname",
    "$entry_pathname",
    "$end_current_url",
    "$end_hostname",
    "$end_pathname",
    *FIRST_EVENT_COLUMNS.values(),
    "$channel_type",
    *FIRST_SEEN_COLUMNS.values(),
    "$pageview_count",
    "$autocapture_count",
    "$is_bounce",
)


def _q(name: str) -> str:
    return f"`{name}`"


CHANNEL_INPUTS = (
    "initial_referring_domain",
    "initial_utm_source",
    "initial_utm_medium",
    "initial_utm_campaign",
    "initial_gclid",
    "initial_gad_source",
    "initial_fbclid",
)
# The finished states, by the name the outer SELECT reads them by.
MERGED = {
    "session_id": "session_id",
    "distinct_id": "argMaxMerge(distinct_id) AS distinct_id",
    "start_ts": "min(min_timestamp) AS start_ts",
    "end_ts": "max(max_timestamp) AS end_ts",
    "entry_url": "argMinMerge(entry_url) AS entry_url",
    "end_url": "argMaxMerge(end_url) AS end_url",
    **{c: f"nullIf(argMinMerge({c}), '') AS {c}" for c in FIRST_EVENT_COLUMNS},
    **{c: f"argMinMerge({c}) AS {c}" for c in FIRST_SEEN_COLUMNS},
    "pageviews": "uniqExactMerge(pageview_uniq) AS pageviews",
    "autocaptures": "uniqExactMerge(autocapture_uniq) AS autocaptures",
}
DURATION = "dateDiff('second', start_ts, end_ts)"


def _columns(tz: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Column -> (its expression, the finished states it reads)."""
    bounce = (
        f"if(pageviews = 0, NULL, toBool(NOT (pageviews > 1 OR autocaptures > 0 "
        f"OR {DURATION} >= {BOUNCE_SECONDS})))"
    )
    return {
        "session_id": ("session_id", ("session_id",)),
        "distinct_id": ("distinct_id", ("distinct_id",)),
        "$start_timestamp": (f"toTimeZone(start_ts, {tz})", ("start_ts",)),
        "$end_timestamp": (f"toTimeZone(end_ts, {tz})", ("end_ts",)),
        "$session_duration": (DURATION, ("start_ts", "end_ts")),
        "$entry_current_url": ("entry_url", ("entry_url",)),
        "$entry_hostname": ("domain(entry_url)", ("entry_url",)),
        "$entry_pathname": ("path(entry_url)", ("entry_url",)),
        "$end_current_url": ("end_url", ("end_url",)),
        "$end_hostname": ("domain(end_url)", ("end_url",)),
        "$end_pathname": ("path(end_url)", ("end_url",)),
        **{name: (c, (c,)) for c, name in FIRST_EVENT_COLUMNS.items()},
        "$channel_type": (channel_type_sql(*CHANNEL_INPUTS, named=True), CHANNEL_INPUTS),
        **{name: (c, (c,)) for c, name in FIRST_SEEN_COLUMNS.items()},
        "$pageview_count": ("pageviews", ("pageviews",)),
        "$autocapture_count": ("autocaptures", ("autocaptures",)),
        "$is_bounce": (bounce, ("pageviews", "autocaptures", "start_ts", "end_ts")),
    }


def sessions_source(
    ctx: TableContext,
    active_since: str | None = None,
    columns: Collection[str] | None = None,
) -> str:
    """The table's SELECT: every column, or `columns` only (and `session_id`): the channel
    rules alone are some 50 KB of SQL, which ClickHouse parses even when no one reads them.
    `active_since` (a UTC DateTime64 SQL expression) keeps only the sessions with an event
    at or after it, finishing the states of those alone: a session is kept whole (all its
    partial rows) when any of its partial rows ends that late."""
    team = ctx.params.integer(ctx.team_id)
    every = _columns(ctx.params.string(ctx.timezone))
    wanted = [c for c in every if columns is None or c in columns or c == "session_id"]
    needed = {state for c in wanted for state in every[c][1]}
    merged = [sql for name, sql in MERGED.items() if name in needed]
    where = f"team_id = {team}"
    if active_since is not None:
        where += (
            f" AND session_id IN (SELECT session_id FROM {SESSIONS_TABLE} "
            f"WHERE team_id = {team} AND max_timestamp >= {active_since})"
        )
    inner = f"SELECT {', '.join(merged)} FROM {SESSIONS_TABLE} WHERE {where} GROUP BY session_id"
    outer = [c if every[c][0] == c else f"{every[c][0]} AS {_q(c)}" for c in wanted]
    maps = f"WITH {', '.join(channel_maps_sql())} " if "$channel_type" in wanted else ""
    return f"{maps}SELECT {', '.join(outer)} FROM ({inner})"
