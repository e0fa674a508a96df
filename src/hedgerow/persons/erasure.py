"""Erasing persons from the embedded person store: every row that names them.

Functions of the writer connection; `SqlitePersonStore.erase` calls them under its lock, in
one transaction, and then forgets what its caches hold about them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import ErasedPerson


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def erase_rows(conn: sqlite3.Connection, team_id: int, person_id: str) -> ErasedPerson | None:
    """Delete a person, its distinct ids, the overrides to and from it, its outbox rows,
    its distinct ids' personless marks and its person indexes. None when there is no such
    person (nothing changes)."""
    found = conn.execute(
        "SELECT 1 FROM persons WHERE team_id = ? AND id = ?", (team_id, person_id)
    ).fetchone()
    if found is None:
        return None
    dids = [
        str(r[0])
        for r in conn.execute(
            "SELECT distinct_id FROM distinct_ids WHERE team_id = ? AND person_id = ?",
            (team_id, person_id),
        )
    ]
    merged = [
        str(r[0])
        for r in conn.execute(
            "SELECT old_person_id FROM person_overrides WHERE team_id = ? AND person_id = ?",
            (team_id, person_id),
        )
    ]
    ids = list(dict.fromkeys([person_id, *merged, *(person_uuid(team_id, d) for d in dids)]))
    conn.execute("DELETE FROM persons WHERE team_id = ? AND id = ?", (team_id, person_id))
    conn.execute(
        "DELETE FROM distinct_ids WHERE team_id = ? AND person_id = ?", (team_id, person_id)
    )
    for start in range(0, len(ids), 400):
        chunk = ids[start : start + 400]
        marks = _marks(chunk)
        for table in ("person_overrides", "override_outbox"):
            conn.execute(
                f"DELETE FROM {table} WHERE team_id = ? AND "
                f"(old_person_id IN ({marks}) OR person_id IN ({marks}))",
                (team_id, *chunk, *chunk),
            )
        conn.execute(f"DELETE FROM person_index WHERE person_id IN ({marks})", chunk)
    for start in range(0, len(dids), 400):
        chunk = dids[start : start + 400]
        conn.execute(
            f"DELETE FROM personless_ids WHERE team_id = ? AND distinct_id IN ({_marks(chunk)})",
            (team_id, *chunk),
        )
    return ErasedPerson(team_id, person_id, dids, ids)
