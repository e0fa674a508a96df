"""Person indexes: a dense integer per person id, given once and never changed.

The event store joins merges by these small integers instead of uuids. Indexes are given
inside ingestion's transaction; new ones are written with the batch (`take_new`) and
forgotten again if it rolls back (`rollback`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from hedgerow.persons.bounded import trim_oldest


class PersonIndexes:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._known: dict[str, int] = {}  # person id -> person index
        self._unindexed: set[str] = set()  # person ids known to have no index (this batch)
        self._new: list[tuple[int, str]] = []
        self._next = self._last() + 1

    def _last(self) -> int:
        row = self._conn.execute("SELECT max(idx) FROM person_index").fetchone()
        return int(row[0] or 0)

    def cached(self, person_id: str) -> int | None:
        return self._known.get(person_id)

    def remember(self, person_id: str, idx: int) -> None:
        self._known[person_id] = idx

    def forget(self, person_ids: Sequence[str]) -> None:
        """Drop erased person ids from the cache (their rows are deleted)."""
        for person_id in person_ids:
            self._known.pop(person_id, None)

    def prefetch(self, person_ids: list[str]) -> None:
        """Load the indexes of these person ids in one query; the others are known absent."""
        if not person_ids:
            return
        marks = ",".join("?" * len(person_ids))
        rows = self._conn.execute(
            f"SELECT person_id, idx FROM person_index WHERE person_id IN ({marks})", person_ids
        ).fetchall()
        self._known.update(rows)
        self._unindexed.update(p for p in person_ids if p not in self._known)

    def assign(self, person_id: str) -> int:
        """The stored index of a person id not in the cache, or a new one (in a transaction)."""
        row = None
        if person_id not in self._unindexed:
            row = self._conn.execute(
                "SELECT idx FROM person_index WHERE person_id = ?", (person_id,)
            ).fetchone()
        if row is not None:
            idx = int(row[0])
        else:
            idx = self._next
            self._next += 1
            self._new.append((idx, person_id))
            self._unindexed.discard(person_id)
        self._known[person_id] = idx
        return idx

    def take_new(self) -> list[tuple[int, str]]:
        """The (index, person id) rows given since the last call, to insert."""
        rows, self._new = self._new, []
        return rows

    def end_batch(self, *, committed: bool, cache_limit: int) -> None:
        if not committed:  # the given indexes were not written
            self._known.clear()
            self._next = self._last() + 1
        self._new.clear()
        self._unindexed.clear()
        trim_oldest(self._known, cache_limit)
