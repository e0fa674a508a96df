"""The tables a query can name, each printed as a subquery that sees one project's rows.

`events`, `persons`, `person_distinct_ids` and `sessions` never reach ClickHouse as names:
the printer replaces each with `(SELECT ... FROM hedgerow.<table> WHERE team_id = <project>)
AS alias`, so that no identifier in a query can point anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hedgerow.query.hogql.sessions_table import SESSION_COLUMNS, sessions_source
from hedgerow.query.sql import SqlParams
from hedgerow.store.schema import (
    DATABASE,
    EFFECTIVE_PERSON_ID,
    EVENT_STAR_COLUMNS,
    EVENTS_TABLE,
    quote_identifier,
)


@dataclass(frozen=True)
class TableContext:
    """What the table subqueries need: the project, its time zone and the store's shape."""

    team_id: int
    timezone: str
    materialized: Mapping[str, str]  # property key -> materialized column
    pending_overrides: bool  # merges not yet rewritten into events.person_id
    params: SqlParams


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[str, ...]  # plain columns, as named in queries
    star: tuple[str, ...]  # what `*` expands to
    json_columns: tuple[str, ...]  # columns holding JSON text: `properties.<key>` reads them


EVENTS = TableSchema(
    "events",
    columns=(
        "uuid",
        "event",
        "distinct_id",
        "timestamp",
        "created_at",
        "properties",
        "elements_chain",
        "person_id",
        "$session_id",
        "$window_id",
        *(f"$group_{i}" for i in range(5)),
    ),
    star=EVENT_STAR_COLUMNS,
    json_columns=("properties",),
)

PERSONS = TableSchema(
    "persons",
    columns=("id", "properties", "is_identified", "created_at"),
    star=("id", "properties", "is_identified", "created_at"),
    json_columns=("properties",),
)

PERSON_DISTINCT_IDS = TableSchema(
    "person_distinct_ids",
    columns=("distinct_id", "person_id"),
    star=("distinct_id", "person_id"),
    json_columns=(),
)

SESSIONS = TableSchema(
    "sessions",
    columns=SESSION_COLUMNS,
    star=SESSION_COLUMNS,
    json_columns=(),
)

TABLES = {t.name: t for t in (EVENTS, PERSONS, PERSON_DISTINCT_IDS, SESSIONS)}


def events_source(ctx: TableContext, effective_person: bool) -> str:
    """One project's events. `person_id` is the person after merges: through the override
    map when the query reads it and merges wait for their rewrite, else the stored id."""
    team = ctx.params.integer(ctx.team_id)
    tz = ctx.params.string(ctx.timezone)
    person = EFFECTIVE_PERSON_ID if effective_person else "person_id"
    columns = [
        "uuid",
        "event",
        "distinct_id",
        f"toTimeZone(timestamp, {tz}) AS timestamp",
        f"toTimeZone(created_at, {tz}) AS created_at",
        "properties",
        "elements_chain",
        f"{person} AS person_id",
        "person_properties",
        f"toTimeZone(person_created_at, {tz}) AS person_created_at",
        "`$session_id`",
        "`$window_id`",
        *(f"`$group_{i}`" for i in range(5)),
        *(quote_identifier(column) for column in sorted(ctx.materialized.values())),
    ]
    return f"SELECT {', '.join(columns)} FROM {EVENTS_TABLE} WHERE team_id = {team}"


def persons_source(ctx: TableContext) -> str:
    """One project's current persons (the latest version of each; merged-away ones left out)."""
    team = ctx.params.integer(ctx.team_id)
    tz = ctx.params.string(ctx.timezone)
    return (
        "SELECT id, properties, toBool(is_identified) AS is_identified, "
        f"toTimeZone(created_at, {tz}) AS created_at FROM {DATABASE}.persons FINAL "
        f"WHERE team_id = {team} AND is_deleted = 0"
    )


def person_distinct_ids_source(ctx: TableContext) -> str:
    team = ctx.params.integer(ctx.team_id)
    return (
        "SELECT distinct_id, argMax(person_id, version) AS person_id "
        f"FROM {DATABASE}.person_distinct_ids WHERE team_id = {team} GROUP BY distinct_id"
    )


def table_source(name: str, ctx: TableContext, uses_person: bool) -> str:
    if name == "events":
        return events_source(ctx, uses_person and ctx.pending_overrides)
    if name == "persons":
        return persons_source(ctx)
    if name == "sessions":
        return sessions_source(ctx)
    return person_distinct_ids_source(ctx)
