"""The sessions table: one row of aggregate states per (project, `$session_id`), kept up to
date at insert by the event store (as PostHog's `raw_sessions`, which a materialized view
feeds).

Each insert of events into the store also adds the batch's sessions to rows the store keeps
in memory: the batch's events aggregated per session in Python (`session_rows.py`), merged
into the rows of earlier batches (`session_buffer.py`), and written every few seconds, where
ClickHouse turns each session's row into states (`sessions_insert_sql`). Merges of the
AggregatingMergeTree combine a session's partial rows, and a query finishes them with
`-Merge` functions grouped by session (`query/hogql/sessions_table.py`), so an answer never
depends on whether the merges have happened, nor on how a session's events were split into
batches. Every state is idempotent (min, max, argMin, argMax, uniqExact of uuids), so a
batch inserted twice changes nothing. Events without a `$session_id` are not in it.

- start and end: min and max event timestamp;
- entry and exit URL: `$current_url` of the first and last event that has one;
- referring domain, UTM values and click ids: those of the session's first event;
- device type, browser, OS and country (`$geoip_country_code`): of the first event that
  has each;
- page views and autocaptures: distinct event uuids of `$pageview` / `$autocapture`.
"""

from __future__ import annotations

from hedgerow.store.schema import DATABASE, quote_string, text_form_expression

SESSIONS_TABLE = f"{DATABASE}.sessions"
# The materialized view that kept the table before the store did; dropped when a store opens.
SESSIONS_VIEW = f"{DATABASE}.sessions_mv"
TS = "DateTime64(6, 'UTC')"

# Column of the table -> the event property it keeps, from the session's first event.
FIRST_EVENT_PROPERTIES = {
    "initial_referring_domain": "$referring_domain",
    "initial_utm_source": "utm_source",
    "initial_utm_medium": "utm_medium",
    "initial_utm_campaign": "utm_campaign",
    "initial_utm_term": "utm_term",
    "initial_utm_content": "utm_content",
    "initial_gclid": "gclid",
    "initial_gad_source": "gad_source",
    "initial_fbclid": "fbclid",
    "initial_msclkid": "msclkid",
}
# Column -> property, from the first event that has a value for it.
FIRST_SEEN_PROPERTIES = {
    "initial_device_type": "$device_type",
    "initial_browser": "$browser",
    "initial_os": "$os",
    "initial_country_code": "$geoip_country_code",
}


def _prop(key: str) -> str:
    return text_form_expression("properties", quote_string(key))


def sessions_table_ddl() -> str:
    first = ",\n    ".join(
        f"{column} AggregateFunction(argMin, String, {TS})" for column in FIRST_EVENT_PROPERTIES
    )
    seen = ",\n    ".join(
        f"{column} AggregateFunction(argMin, Nullable(String), {TS})"
        for column in FIRST_SEEN_PROPERTIES
    )
    return f"""
CREATE TABLE IF NOT EXISTS {SESSIONS_TABLE} (
    team_id Int64,
    session_id String,
    distinct_id AggregateFunction(argMax, String, {TS}),
    min_timestamp SimpleAggregateFunction(min, {TS}),
    max_timestamp SimpleAggregateFunction(max, {TS}),
    entry_url AggregateFunction(argMin, Nullable(String), {TS}),
    end_url AggregateFunction(argMax, Nullable(String), {TS}),
    {first},
    {seen},
    pageview_uniq AggregateFunction(uniqExact, Nullable(UUID)),
    autocapture_uniq AggregateFunction(uniqExact, Nullable(UUID))
)
ENGINE = AggregatingMergeTree
ORDER BY (team_id, session_id)
"""


def sessions_select_sql(condition: str = "1") -> str:
    """The states of the stored events (the backfill of a store from before the table), or
    of those that `condition` selects (the recovery after a crash: `session_buffer.py`)."""
    first = ",\n    ".join(
        f"argMinState({_prop(key)}, timestamp) AS {column}"
        for column, key in FIRST_EVENT_PROPERTIES.items()
    )
    seen = ",\n    ".join(
        f"argMinState(nullIf({_prop(key)}, ''), timestamp) AS {column}"
        for column, key in FIRST_SEEN_PROPERTIES.items()
    )
    url = f"nullIf({_prop('$current_url')}, '')"
    return f"""
SELECT
    team_id,
    `$session_id` AS session_id,
    argMaxState(distinct_id, timestamp) AS distinct_id,
    min(timestamp) AS min_timestamp,
    max(timestamp) AS max_timestamp,
    argMinState({url}, timestamp) AS entry_url,
    argMaxState({url}, timestamp) AS end_url,
    {first},
    {seen},
    uniqExactState(if(event = '$pageview', uuid, NULL)) AS pageview_uniq,
    uniqExactState(if(event = '$autocapture', uuid, NULL)) AS autocapture_uniq
FROM {DATABASE}.events
WHERE `$session_id` != '' AND ({condition})
GROUP BY team_id, session_id
"""


def sessions_backfill_sql() -> str:
    """The states of every stored event, for a store from before the table existed."""
    return f"INSERT INTO {SESSIONS_TABLE} {sessions_select_sql()}"


def _ts(column: str) -> str:
    return f"toDateTime64(assumeNotNull({column}), 6, 'UTC')"


def _state(function: str, value: str, timestamp: str) -> str:
    return f"initializeAggregation('{function}State', {value}, {_ts(timestamp)})"


def sessions_insert_sql(source: str) -> str:
    """The states of a batch's session rows (`session_rows.sessions_arrow`, one row per
    session, read from the table expression `source`), inserted into the sessions table.
    The SELECT has no aliases (the insert matches columns by position): an alias named as
    a source column would take its place in the other expressions. Columns read from Arrow
    are Nullable: `assumeNotNull` gives the states the table's argument types."""
    states = {
        "team_id": "team_id",
        "session_id": "session_id",
        "distinct_id": _state("argMax", "assumeNotNull(distinct_id)", "max_timestamp"),
        "min_timestamp": _ts("min_timestamp"),
        "max_timestamp": _ts("max_timestamp"),
        "entry_url": _state("argMin", "toNullable(entry_url)", "entry_ts"),
        "end_url": _state("argMax", "toNullable(end_url)", "end_ts"),
    }
    for column in FIRST_EVENT_PROPERTIES:
        states[column] = _state("argMin", f"assumeNotNull({column})", "min_timestamp")
    for column in FIRST_SEEN_PROPERTIES:
        states[column] = _state("argMin", f"toNullable({column})", f"{column}_ts")
    for column, uuids in (
        ("pageview_uniq", "pageview_uuids"),
        ("autocapture_uniq", "autocapture_uuids"),
    ):
        states[column] = f"arrayReduce('uniqExactState', CAST({uuids} AS Array(Nullable(UUID))))"
    return (
        f"INSERT INTO {SESSIONS_TABLE} ({', '.join(states)}) "
        f"SELECT {', '.join(states.values())} FROM {source}"
    )
