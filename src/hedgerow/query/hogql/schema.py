"""What a query can name, for SQL editors: each table's columns with their ClickHouse types,
which columns hold properties, and the functions a query may call.

Built from the same table list and function allowlist the printer uses; the types come
from ClickHouse itself, by running `SELECT <every column> FROM <table> LIMIT 0` as a user's
query would run, so the answer cannot drift from what a query sees.
"""

from __future__ import annotations

from typing import Any

from hedgerow.query.hogql.functions import ALLOWED, RENAMED
from hedgerow.query.hogql.run import run_hogql_query
from hedgerow.query.hogql.tables import EVENTS, TABLES, TableSchema
from hedgerow.store.events import EventStore

# The person fields an event carries (`person.properties` as stamped at ingestion).
EVENT_PERSON_FIELDS = ("person.id", "person.created_at", "person.properties")


def table_columns(table: TableSchema) -> tuple[str, ...]:
    """Every name a query can read from `table`, in the order a user meets them."""
    return (*table.columns, *(EVENT_PERSON_FIELDS if table is EVENTS else ()))


def property_kind(table: TableSchema, column: str) -> str | None:
    """Whose property keys `<column>.<key>` reads: "event", "person", or None."""
    if column == "person.properties":
        return "person"
    if column in table.json_columns:
        return "event" if table is EVENTS else "person"
    return None


def function_names() -> list[str]:
    return sorted(ALLOWED | RENAMED.keys(), key=lambda name: (name.lower(), name))


def sql_schema(store: EventStore, team_id: int, timezone: str) -> dict[str, Any]:
    """`{"tables": [{"name", "columns": [{"name", "type", "properties"}]}], "functions"}`."""
    tables = []
    for table in TABLES.values():
        names = table_columns(table)
        probe = {"query": f"SELECT {', '.join(names)} FROM {table.name} LIMIT 0"}
        types = dict(run_hogql_query(store, team_id, timezone, probe)["types"])
        columns = [
            {"name": name, "type": types[name], "properties": property_kind(table, name)}
            for name in names
        ]
        tables.append({"name": table.name, "columns": columns})
    return {"tables": tables, "functions": function_names()}
