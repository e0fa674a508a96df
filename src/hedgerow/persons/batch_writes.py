"""A batch's person changes written in a few `executemany` calls, and the mirror rows they make.

`SqlitePersonStore` holds a batch's new and changed persons, new distinct ids, personless ids
and person indexes in memory; `write_batch` writes them inside its transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import orjson

from hedgerow.persons.store import MirrorRow, Person
from hedgerow.sqlite_rows import insert_rows


def write_batch(
    conn: sqlite3.Connection,
    *,
    persons: Iterable[Person],
    distinct_ids: list[tuple[int, str, str, int]],  # (team, distinct id, person id, version)
    personless: list[tuple[int, str]],  # (team, distinct id)
    indexes: list[tuple[int, str]],  # (index, person id)
) -> list[MirrorRow]:
    """Upsert the persons, add the ids and indexes; the mirror rows of what was written."""
    rows = [
        (
            p.team_id,
            p.id,
            orjson.dumps(p.properties).decode(),
            int(p.is_identified),
            p.created_at,
            p.version,
        )
        for p in persons
    ]
    insert_rows(
        conn,
        "INSERT INTO persons (team_id, id, properties, is_identified, created_at, version)",
        rows,
        "ON CONFLICT (team_id, id) DO UPDATE SET "
        "properties = excluded.properties, is_identified = excluded.is_identified, "
        "created_at = excluded.created_at, version = excluded.version",
    )
    insert_rows(
        conn,
        "INSERT INTO distinct_ids (team_id, distinct_id, person_id, version)",
        distinct_ids,
        "ON CONFLICT DO NOTHING",
    )
    insert_rows(conn, "INSERT OR IGNORE INTO personless_ids (team_id, distinct_id)", personless)
    insert_rows(conn, "INSERT INTO person_index (idx, person_id)", indexes)
    mirror = [
        MirrorRow(
            "person",
            team,
            pid,
            version,
            properties=props,
            is_identified=bool(identified),
            created_at=created,
        )
        for team, pid, props, identified, created, version in rows
    ]
    mirror += [
        MirrorRow("distinct_id", team, pid, version, distinct_id=did)
        for team, did, pid, version in distinct_ids
    ]
    return mirror
