"""The `sessions` table of SQL: one row per session of the project, PostHog's column names.

It finishes the aggregate states of `hedgerow.sessions` (kept at ingestion by the store's
inserts, see store/sessions_schema.py) grouped by session, then derives duration, host and
path, bounce and channel type. Empty values read as NULL, as PostHog's `sessions` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hedgerow.store.sessions_schema import (
    FIRST_EVENT_PROPERTIES,
    FIRST_SEEN_PROPERTIES,
    SESSIONS_TABLE,
)
from hedgerow.web_analytics.channel_sql import channel_type_sql

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


def sessions_source(ctx: TableContext) -> str:
    team = ctx.params.integer(ctx.team_id)
    tz = ctx.params.string(ctx.timezone)
    merged = [
        "session_id",
        "argMaxMerge(distinct_id) AS distinct_id",
        "min(min_timestamp) AS start_ts",
        "max(max_timestamp) AS end_ts",
        "argMinMerge(entry_url) AS entry_url",
        "argMaxMerge(end_url) AS end_url",
        *(f"nullIf(argMinMerge({c}), '') AS {c}" for c in FIRST_EVENT_COLUMNS),
        *(f"argMinMerge({c}) AS {c}" for c in FIRST_SEEN_COLUMNS),
        "uniqExactMerge(pageview_uniq) AS pageviews",
        "uniqExactMerge(autocapture_uniq) AS autocaptures",
    ]
    inner = (
        f"SELECT {', '.join(merged)} FROM {SESSIONS_TABLE} "
        f"WHERE team_id = {team} GROUP BY session_id"
    )
    duration = "dateDiff('second', start_ts, end_ts)"
    channel = channel_type_sql(
        "initial_referring_domain",
        "initial_utm_source",
        "initial_utm_medium",
        "initial_utm_campaign",
        "initial_gclid",
        "initial_gad_source",
        "initial_fbclid",
    )
    bounce = (
        f"if(pageviews = 0, NULL, toBool(NOT (pageviews > 1 OR autocaptures > 0 "
        f"OR {duration} >= {BOUNCE_SECONDS})))"
    )
    columns = [
        "session_id",
        "distinct_id",
        f"toTimeZone(start_ts, {tz}) AS `$start_timestamp`",
        f"toTimeZone(end_ts, {tz}) AS `$end_timestamp`",
        f"{duration} AS `$session_duration`",
        "entry_url AS `$entry_current_url`",
        "domain(entry_url) AS `$entry_hostname`",
        "path(entry_url) AS `$entry_pathname`",
        "end_url AS `$end_current_url`",
        "domain(end_url) AS `$end_hostname`",
        "path(end_url) AS `$end_pathname`",
        *(f"{c} AS {_q(name)}" for c, name in FIRST_EVENT_COLUMNS.items()),
        f"{channel} AS `$channel_type`",
        *(f"{c} AS {_q(name)}" for c, name in FIRST_SEEN_COLUMNS.items()),
        "pageviews AS `$pageview_count`",
        "autocaptures AS `$autocapture_count`",
        f"{bounce} AS `$is_bounce`",
    ]
    return f"SELECT {', '.join(columns)} FROM ({inner})"
