"""The writes of the person store on PostgreSQL: a batch's rows in one statement per table
(arrays unnested server-side), merges, overrides and their outbox, and erasure.

Functions of a connection inside the caller's transaction; `PostgresPersonStore` calls them
with the rows they touch already locked (`postgres.py` explains the locking).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import psycopg

from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import ErasedPerson, MirrorRow, Override, Person

Connection = psycopg.Connection[Any]


def write_batch(
    conn: Connection,
    *,
    persons: Iterable[Person],
    distinct_ids: list[tuple[int, str, str, int]],  # (team, distinct id, person id, version)
    personless: list[tuple[int, str]],  # (team, distinct id)
) -> tuple[list[MirrorRow], dict[tuple[int, str], str]]:
    """Upsert the persons, add the ids; the mirror rows of what was written, and each
    written person's row version (`xmin`: the writing transaction's id) by (project, id).
    Text arrays go in binary (`%b`): psycopg's text form escapes every quote of every
    properties JSON with a regular expression, which cost more than the statements."""
    rows = [
        (
            p.team_id,
            p.id,
            orjson.dumps(p.properties).decode(),
            p.is_identified,
            p.created_at,
            p.version,
        )
        for p in persons
    ]
    written: dict[tuple[int, str], str] = {}
    if rows:
        returned = conn.execute(
            "INSERT INTO persons (team_id, id, properties, is_identified, created_at, version) "
            "SELECT t, i, p::jsonb, d, c, v FROM unnest(%s::integer[], %b::text[], %b::text[], "
            "%s::boolean[], %b::text[], %s::bigint[]) AS u(t, i, p, d, c, v) "
            "ON CONFLICT (team_id, id) DO UPDATE SET properties = excluded.properties, "
            "is_identified = excluded.is_identified, created_at = excluded.created_at, "
            "version = excluded.version RETURNING team_id, id, xmin::text",
            [list(column) for column in zip(*rows, strict=True)],
        ).fetchall()
        written = {(int(team), str(pid)): str(xmin) for team, pid, xmin in returned}
    if distinct_ids:
        conn.execute(
            "INSERT INTO distinct_ids (team_id, distinct_id, person_id, version) "
            "SELECT * FROM unnest(%s::integer[], %b::text[], %b::text[], %s::bigint[]) "
            "ON CONFLICT DO NOTHING",
            [list(column) for column in zip(*distinct_ids, strict=True)],
        )
    if personless:
        conn.execute(
            "INSERT INTO personless_ids (team_id, distinct_id) "
            "SELECT * FROM unnest(%s::integer[], %s::text[]) ON CONFLICT DO NOTHING",
            [list(column) for column in zip(*personless, strict=True)],
        )
    mirror = [
        MirrorRow(
            "person",
            team,
            pid,
            version,
            properties=props,
            is_identified=identified,
            created_at=created,
        )
        for team, pid, props, identified, created, version in rows
    ]
    mirror += [
        MirrorRow("distinct_id", team, pid, version, distinct_id=did)
        for team, did, pid, version in distinct_ids
    ]
    return mirror, written


def move_distinct_ids(conn: Connection, source: Person, target: Person) -> list[tuple[str, int]]:
    """Point every distinct id of `source` at `target` (one version up each), delete
    `source`; the (distinct id, new version) pairs moved."""
    rows = conn.execute(
        "UPDATE distinct_ids SET person_id = %s, version = version + 1 "
        "WHERE team_id = %s AND person_id = %s RETURNING distinct_id, version",
        (target.id, source.team_id, source.id),
    ).fetchall()
    conn.execute("DELETE FROM persons WHERE team_id = %s AND id = %s", (source.team_id, source.id))
    return sorted((str(did), int(version)) for did, version in rows)


def earlier_overrides(conn: Connection, team_id: int, person_id: str) -> list[tuple[str, int]]:
    """(old person id, version) of the persons merged into `person_id` before."""
    rows = conn.execute(
        "SELECT old_person_id, version FROM person_overrides "
        "WHERE team_id = %s AND person_id = %s ORDER BY old_person_id",
        (team_id, person_id),
    ).fetchall()
    return [(str(old), int(version)) for old, version in rows]


def next_version(conn: Connection, team_id: int, old_person_id: str) -> int:
    """The version the next override of `old_person_id` gets."""
    own = conn.execute(
        "SELECT version FROM person_overrides WHERE team_id = %s AND old_person_id = %s",
        (team_id, old_person_id),
    ).fetchone()
    return int(own[0]) + 1 if own else 1


def record_overrides(conn: Connection, overrides: Sequence[Override]) -> None:
    """Keep each override as its old person's current one, and add it to the outbox."""
    if not overrides:
        return
    columns = [
        [o.team_id for o in overrides],
        [o.old_person_id for o in overrides],
        [o.person_id for o in overrides],
        [o.version for o in overrides],
        [o.old_person_idx for o in overrides],
        [o.person_idx for o in overrides],
    ]
    conn.execute(
        "INSERT INTO person_overrides (team_id, old_person_id, person_id, version) "
        "SELECT * FROM unnest(%s::integer[], %s::text[], %s::text[], %s::bigint[]) "
        "ON CONFLICT (team_id, old_person_id) DO UPDATE SET "
        "person_id = excluded.person_id, version = excluded.version",
        columns[:4],
    )
    conn.execute(
        "INSERT INTO override_outbox (team_id, old_person_id, person_id, version, "
        "old_person_idx, person_idx) SELECT * FROM unnest(%s::integer[], %s::text[], "
        "%s::text[], %s::bigint[], %s::bigint[], %s::bigint[])",
        columns,
    )


def clear_outbox(conn: Connection, ids: list[int]) -> None:
    """Delete these outbox rows; rows another worker is deleting right now are skipped (they
    go with its commit), so that two workers never wait for each other here."""
    conn.execute(
        "DELETE FROM override_outbox WHERE id IN (SELECT id FROM override_outbox "
        "WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED)",
        (ids,),
    )


def erase_rows(conn: Connection, team_id: int, person_id: str) -> ErasedPerson | None:
    """Delete a person (locked first), its distinct ids, the overrides to and from it, its
    outbox rows, its distinct ids' personless marks and its person indexes. None when there
    is no such person (nothing changes)."""
    found = conn.execute(
        "SELECT 1 FROM persons WHERE team_id = %s AND id = %s FOR UPDATE", (team_id, person_id)
    ).fetchone()
    if found is None:
        return None
    dids = [
        str(r[0])
        for r in conn.execute(
            "DELETE FROM distinct_ids WHERE team_id = %s AND person_id = %s RETURNING distinct_id",
            (team_id, person_id),
        ).fetchall()
    ]
    dids.sort()
    merged = [
        str(r[0])
        for r in conn.execute(
            "SELECT old_person_id FROM person_overrides WHERE team_id = %s AND person_id = %s",
            (team_id, person_id),
        ).fetchall()
    ]
    ids = list(dict.fromkeys([person_id, *merged, *(person_uuid(team_id, d) for d in dids)]))
    conn.execute("DELETE FROM persons WHERE team_id = %s AND id = %s", (team_id, person_id))
    for table in ("person_overrides", "override_outbox"):
        conn.execute(
            f"DELETE FROM {table} WHERE team_id = %s AND "
            "(old_person_id = ANY(%s) OR person_id = ANY(%s))",
            (team_id, ids, ids),
        )
    conn.execute("DELETE FROM person_index WHERE person_id = ANY(%s)", (ids,))
    conn.execute(
        "DELETE FROM personless_ids WHERE team_id = %s AND distinct_id = ANY(%s)",
        (team_id, dids),
    )
    return ErasedPerson(team_id, person_id, dids, ids)
