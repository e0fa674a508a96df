"""ClickHouse DDL for the events table and its materialized property columns.

`properties` keeps the original JSON text so that events round-trip exactly. Hot keys get a
`mat_<key>` String column computed at insert time (the value's text form, '' when absent or
null), which filters read instead of parsing the JSON; adding one later with ALTER does not
rewrite stored parts: old parts compute it when read until they merge (or a background
mutation writes it into them: `ChdbEventStore.add_materialized_columns`).
"""

from __future__ import annotations

DATABASE = "hedgerow"
EVENTS_TABLE = f"{DATABASE}.events"
# What `SELECT *` of an event shows, in this order (EventsQuery and SQL alike).
EVENT_STAR_COLUMNS = (
    "uuid",
    "event",
    "properties",
    "timestamp",
    "distinct_id",
    "elements_chain",
    "created_at",
    "person_id",
)

DEFAULT_MATERIALIZED = (
    "$current_url",
    "$pathname",
    "$host",
    "$browser",
    "$os",
    "$device_type",
    "$referring_domain",
    "$lib",
    "$screen_width",
    "$virt_is_bot",  # the web queries leave bots out (query/web_filters.py)
)
# Keys few events have: their column is computed from the JSON only for events whose text
# holds the key's name (a substring search), not by parsing every event's properties at
# insert. (`properties` is JSON as orjson writes it: keys are never escaped.)
RARE_KEYS = {"$virt_is_bot": "virt_is_bot"}


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def materialized_column(key: str) -> str:
    return "mat_" + key


def text_form_expression(json_column: str, key_sql: str) -> str:
    """The property's value as text: strings unquoted, others as JSON, '' when absent/null.

    `key_sql` is the key as SQL: a quoted literal or a query parameter placeholder.

    The document is parsed once per key (`JSONExtractRaw`); only a string value is parsed
    again, on its own few bytes, to unescape it. ClickHouse computes the repeated
    `JSONExtractRaw` once. Measured in docs/benchmarks.md: about 40% cheaper at insert than
    asking `JSONType` first.
    """
    raw = f"JSONExtractRaw({json_column}, {key_sql})"
    return f"multiIf(startsWith({raw}, '\"'), JSONExtractString({raw}), {raw} = 'null', '', {raw})"


def materialized_ddl(key: str) -> str:
    expression = text_form_expression("properties", quote_string(key))
    if key in RARE_KEYS:
        needle = quote_string(RARE_KEYS[key])
        expression = f"if(position(properties, {needle}) = 0, '', {expression})"
    return f"{quote_identifier(materialized_column(key))} String MATERIALIZED {expression}"


def events_ddl() -> str:
    mats = ",\n    ".join(materialized_ddl(key) for key in DEFAULT_MATERIALIZED)
    session = text_form_expression("properties", quote_string("$session_id"))
    window = text_form_expression("properties", quote_string("$window_id"))
    return f"""
CREATE TABLE IF NOT EXISTS {DATABASE}.events (
    uuid UUID,
    team_id Int64,
    event LowCardinality(String),
    distinct_id String,
    timestamp DateTime64(6, 'UTC'),
    created_at DateTime64(6, 'UTC'),
    properties String CODEC(ZSTD(3)),
    elements_chain String CODEC(ZSTD(3)),
    person_id UUID,
    person_idx UInt64,
    person_properties String CODEC(ZSTD(3)),
    person_created_at DateTime64(6, 'UTC'),
    person_mode Enum8('full' = 0, 'propertyless' = 1, 'force_upgrade' = 2),
    `$group_0` String,
    `$group_1` String,
    `$group_2` String,
    `$group_3` String,
    `$group_4` String,
    `$session_id` String MATERIALIZED {session},
    `$window_id` String MATERIALIZED {window},
    {mats}
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid))
SETTINGS non_replicated_deduplication_window = 1000
"""


FIRST_SEEN = "first_seen"


def first_seen_projection_ddl() -> str:
    """Each stored person index's earliest event, per project: a projection of the events
    table, so ClickHouse keeps it with every insert, merge of parts and rewrite of
    `person_idx` (merges of persons, the person index upgrade), and a query of the shape
    `SELECT person_idx, min(timestamp) ... WHERE team_id = ... GROUP BY person_idx` reads
    about one row per person and part instead of every event (a part stored before the
    projection existed is read in full until it is materialized: same answer, slower)."""
    return (
        f"ALTER TABLE {DATABASE}.events ADD PROJECTION IF NOT EXISTS {FIRST_SEEN} "
        "(SELECT team_id, person_idx, min(timestamp) GROUP BY team_id, person_idx)"
    )


def lightweight_delete_mode_ddl() -> str:
    """Lightweight deletes (erasure, retention) on a table with projections: the touched
    parts' projections are rebuilt (ClickHouse's default, 'throw', refuses the delete; 'drop'
    would leave those parts without `first_seen` until materialized again)."""
    return (
        f"ALTER TABLE {DATABASE}.events MODIFY SETTING "
        "lightweight_mutation_projection_mode = 'rebuild'"
    )


OVERRIDES = "person_id_overrides"


def overrides_ddl() -> str:
    """Merged-away person id → the person it became, for events stored before the merge; the
    highest version wins. Each person id comes with its person index (see `PERSON_KEY`)."""
    return f"""
CREATE TABLE IF NOT EXISTS {DATABASE}.{OVERRIDES} (
    team_id Int64,
    old_person_id UUID,
    person_id UUID,
    version Int64,
    old_person_idx UInt64,
    person_idx UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (team_id, old_person_id)
"""


OVERRIDE_MAP = "person_override_map"


def override_map_ddl() -> str:
    """The override map that queries read, held in memory as a hash table keyed by the
    merged-away person id alone (person ids are unique across projects, and a one-column key
    is the cheapest lookup), rebuilt from `person_id_overrides` when the store opens; a later
    insert for a key replaces the earlier one."""
    return f"""
CREATE TABLE IF NOT EXISTS {DATABASE}.{OVERRIDE_MAP} (
    old_person_id UUID,
    person_id UUID,
    team_id Int64,
    version Int64
)
ENGINE = Join(ANY, LEFT, old_person_id)
SETTINGS join_any_take_last_row = 1, persistent = 0
"""


def override_map_fill_sql() -> str:
    """The override map filled from the durable overrides (when a store opens, and after a
    migration copied them in): each old person's latest override."""
    return (
        f"INSERT INTO {DATABASE}.{OVERRIDE_MAP} (team_id, old_person_id, person_id, version) "
        f"SELECT team_id, old_person_id, argMax(person_id, version), max(version) "
        f"FROM {DATABASE}.{OVERRIDES} GROUP BY team_id, old_person_id"
    )


# Each event's person after merges: the map's person for its stored `person_id`, if any.
EFFECTIVE_PERSON_ID = (
    f"ifNull(joinGetOrNull('{DATABASE}.{OVERRIDE_MAP}', 'person_id', person_id), person_id)"
)


INDEX_MAP = "person_idx_map"
# Persons are counted and grouped by `person_idx`, a dense integer the person store gives
# every person id (rows stored before it existed are filled in when the store opens). A
# `UInt64` hashes faster than a UUID, and the override map becomes an array read per row.
PERSON_KEY = "person_idx"
EFFECTIVE_PERSON_KEY = (
    f"dictGetOrDefault('{DATABASE}.{INDEX_MAP}', 'person_idx', person_idx, person_idx)"
)
# The flat map holds indexes of merged-away persons up to this (8 bytes a slot, allocated up
# to the highest one in use).
MAX_PERSON_INDEX = 1 << 31


def index_map_ddl() -> str:
    """The override map by person index, for counting and grouping persons: a flat array
    indexed by the merged-away person's index (a lookup is one array read), loaded from
    `person_id_overrides` and reloaded after each change (`SYSTEM RELOAD DICTIONARY`)."""
    source = (
        f"SELECT old_person_idx, argMax(person_idx, version) AS person_idx "
        f"FROM {DATABASE}.{OVERRIDES} WHERE old_person_idx != 0 GROUP BY old_person_idx"
    )
    return f"""
CREATE DICTIONARY IF NOT EXISTS {DATABASE}.{INDEX_MAP} (
    old_person_idx UInt64,
    person_idx UInt64
)
PRIMARY KEY old_person_idx
SOURCE(CLICKHOUSE(QUERY {quote_string(source)}))
LAYOUT(FLAT(INITIAL_ARRAY_SIZE 1024 MAX_ARRAY_SIZE {MAX_PERSON_INDEX}))
LIFETIME(0)
"""


def person_mirror_ddl() -> list[str]:
    """Current persons and distinct ids, mirrored from the person store for queries to join.
    The highest version of a row wins; deleted (merged-away) persons keep a deleted row."""
    return [
        f"""
CREATE TABLE IF NOT EXISTS {DATABASE}.persons (
    team_id Int64,
    id UUID,
    properties String CODEC(ZSTD(3)),
    is_identified UInt8,
    created_at DateTime64(6, 'UTC'),
    version Int64,
    is_deleted UInt8
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (team_id, id)
""",
        f"""
CREATE TABLE IF NOT EXISTS {DATABASE}.person_distinct_ids (
    team_id Int64,
    distinct_id String,
    person_id UUID,
    version Int64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (team_id, distinct_id)
""",
    ]
