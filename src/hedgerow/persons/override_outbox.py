"""Overrides in the person store: the current override of each merged-away person, and the
outbox of changes for the event store, written in the transaction that caused them.

Functions of the writer connection; `SqlitePersonStore` calls them under its lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from hedgerow.persons.sqlite_schema import LEGACY_OUTBOX
from hedgerow.persons.store import Override

# One outbox row: (id, team_id, old_person_id, person_id, version, old_person_idx, person_idx)
OutboxRow = tuple[int, int, str, str, int, int, int]


def earlier_overrides(
    conn: sqlite3.Connection, team_id: int, person_id: str
) -> list[tuple[str, int]]:
    """(old person id, version) of the persons merged into `person_id` before."""
    rows = conn.execute(
        "SELECT old_person_id, version FROM person_overrides "
        "INDEXED BY person_overrides_by_person WHERE team_id = ? AND person_id = ?",
        (team_id, person_id),
    ).fetchall()
    return [(str(old), int(version)) for old, version in rows]


def next_version(conn: sqlite3.Connection, team_id: int, old_person_id: str) -> int:
    """The version the next override of `old_person_id` gets."""
    own = conn.execute(
        "SELECT version FROM person_overrides WHERE team_id = ? AND old_person_id = ?",
        (team_id, old_person_id),
    ).fetchone()
    return int(own[0]) + 1 if own else 1


def record(conn: sqlite3.Connection, overrides: Iterable[Override]) -> None:
    rows = [
        (o.team_id, o.old_person_id, o.person_id, o.version, o.old_person_idx, o.person_idx)
        for o in overrides
    ]
    conn.executemany(
        "INSERT INTO person_overrides (team_id, old_person_id, person_id, version) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (team_id, old_person_id) DO UPDATE SET "
        "person_id = excluded.person_id, version = excluded.version",
        [row[:4] for row in rows],
    )
    conn.executemany(
        "INSERT INTO override_outbox (team_id, old_person_id, person_id, version, "
        "old_person_idx, person_idx) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def pending(conn: sqlite3.Connection, limit: int) -> list[OutboxRow]:
    rows: list[OutboxRow] = conn.execute(
        "SELECT id, team_id, old_person_id, person_id, version, old_person_idx, "
        "person_idx FROM override_outbox ORDER BY id LIMIT ?",
        (limit,),
    ).fetchall()
    return rows


def clear(conn: sqlite3.Connection, up_to_id: int) -> None:
    conn.execute("DELETE FROM override_outbox WHERE id <= ?", (up_to_id,))


def legacy(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """(project, distinct_id, person_id) left in an outbox of the distinct-id format."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (LEGACY_OUTBOX,)
    ).fetchone()
    if not exists:
        return []
    rows = conn.execute(
        f"SELECT team_id, distinct_id, person_id FROM {LEGACY_OUTBOX} ORDER BY id"
    ).fetchall()
    return [(int(t), str(d), str(p)) for t, d, p in rows]


def drop_legacy(conn: sqlite3.Connection) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {LEGACY_OUTBOX}")
