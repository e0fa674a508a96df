"""The embedded person store on SQLite (`persons.sqlite3` in the data directory).

Ingestion is the only writer, so the store keeps a bounded cache of distinct_id → person and
holds a batch's writes in memory until its transaction ends, then writes them with a few
`executemany` calls: per event, a known person costs a dictionary lookup, not a query.
Merges are rare; they write through at once, inside the same transaction.

Overrides (merged-away person id → the person it became, for events already stored under
the old id) are kept in `person_overrides`, re-pointed when their person is merged again,
and each change is written to an outbox table in the transaction that caused it, so that a
crash can never lose one; ingestion moves them to the event store. Changes to mirror into
the event store's person tables are handed over in memory after each committed transaction
(`take_mirror`): a crash between the commit and the mirror insert leaves those persons'
mirror rows behind until their next change (the mirror serves queries; this store is the
authority).

Beside it: the tables and connections (`sqlite_schema.py`), the batch write
(`batch_writes.py`), person indexes (`person_indexes.py`) and the override outbox
(`override_outbox.py`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from hedgerow.persons import override_outbox
from hedgerow.persons.batch_writes import write_batch
from hedgerow.persons.bounded import trim_oldest
from hedgerow.persons.erasure import erase_rows
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.person_indexes import PersonIndexes
from hedgerow.persons.search import SEARCH_CONDITION, search_params
from hedgerow.persons.sqlite_schema import PERSON_COLUMNS, open_reader, open_writer
from hedgerow.persons.store import ErasedPerson, MirrorRow, Override, Person

CACHE_SIZE = 500_000


class SqlitePersonStore:
    def __init__(self, path: Path) -> None:
        self._conn = open_writer(path)
        self._lock = threading.RLock()
        self._cache: dict[tuple[int, str], Person] = {}
        self._absent: set[tuple[int, str]] = set()
        self._never_personless: set[tuple[int, str]] = set()  # checked in this batch
        self._personless: dict[tuple[int, str], None] = {}  # a dict for its order
        self._new_ids: list[tuple[int, str, str, int]] = []
        self._new_personless: list[tuple[int, str]] = []
        self._dirty: dict[tuple[int, str], Person] = {}
        self._writer_thread: int | None = None
        self._mirror: list[MirrorRow] = []  # committed changes not yet mirrored
        self._pending_mirror: list[MirrorRow] = []  # changes of the open transaction
        self._indexes = PersonIndexes(self._conn)
        # Readers outside ingestion (the API) use their own connection and see committed rows.
        self._reader = open_reader(path)
        self._reader_lock = threading.Lock()

    # -- the batch transaction -----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._writer_thread = threading.get_ident()
            committed = False
            try:
                yield
                self._flush()
                self._conn.execute("COMMIT")
                committed = True
                self._mirror.extend(self._pending_mirror)
            except BaseException:
                self._conn.execute("ROLLBACK")
                self._cache.clear()
                self._personless.clear()
                raise
            finally:
                self._indexes.end_batch(committed=committed, cache_limit=CACHE_SIZE)
                self._new_ids.clear()
                self._new_personless.clear()
                self._dirty.clear()
                self._absent.clear()
                self._never_personless.clear()
                self._pending_mirror = []
                self._writer_thread = None
            trim_oldest(self._cache, CACHE_SIZE)
            trim_oldest(self._personless, CACHE_SIZE)

    def _flush(self) -> None:
        mirror = write_batch(
            self._conn,
            persons=self._dirty.values(),
            distinct_ids=self._new_ids,
            personless=self._new_personless,
            indexes=self._indexes.take_new(),
        )
        self._write_mirror(mirror)
        self._new_ids.clear()
        self._new_personless.clear()
        self._dirty.clear()

    # -- reading ---------------------------------------------------------------------------

    def _in_batch(self) -> bool:
        return self._writer_thread == threading.get_ident()

    def _fetch(self, sql: str, args: tuple[Any, ...] | dict[str, Any]) -> list[Any]:
        """Rows from the writer inside ingestion's transaction, else from the reader."""
        if self._in_batch():
            return self._conn.execute(sql, args).fetchall()
        with self._reader_lock:
            return self._reader.execute(sql, args).fetchall()

    def _person(self, row: tuple[Any, ...] | None) -> Person | None:
        """A person from a row of `PERSON_COLUMNS`; inside a batch, with its index given if
        it had none (persons stored before person indexes existed)."""
        if row is None:
            return None
        team_id, pid, properties, identified, created_at, version, idx = row
        person = Person(
            team_id, pid, orjson.loads(properties), bool(identified), created_at, version
        )
        in_batch = self._in_batch()
        if idx is not None:
            person.idx = idx
            if in_batch:
                self._indexes.remember(pid, idx)
        elif in_batch:
            person.idx = self.index_of(pid)
        return person

    def prefetch(self, keys: Iterable[tuple[int, str]]) -> None:
        """Load the persons of a batch's distinct ids in a few queries (inside a transaction).

        Afterwards a lookup of any of them is a dictionary lookup, found or known absent. Few
        SQLite calls per batch also matter for the GIL: each call releases it, and getting it
        back can take a switch interval while capture threads are busy.
        """
        wanted: dict[int, list[str]] = {}
        for team_id, distinct_id in keys:
            if (team_id, distinct_id) not in self._cache:
                wanted.setdefault(team_id, []).append(distinct_id)
        for team_id, ids in wanted.items():
            unique = list(dict.fromkeys(ids))
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT d.distinct_id, {PERSON_COLUMNS} FROM distinct_ids d "
                    "JOIN persons p ON p.team_id = d.team_id AND p.id = d.person_id "
                    f"WHERE d.team_id = ? AND d.distinct_id IN ({marks})",
                    (team_id, *chunk),
                ).fetchall()
                found = set()
                for distinct_id, *row in rows:
                    person = self._person(tuple(row))
                    if person is not None:
                        self._cache[(team_id, distinct_id)] = person
                        found.add(distinct_id)
                absent = [d for d in chunk if d not in found]
                self._absent.update((team_id, d) for d in absent)
                self._prefetch_personless(team_id, absent)
                # A personless event or a new person needs the index of the deterministic
                # person id of its distinct id.
                self._indexes.prefetch([person_uuid(team_id, d) for d in absent])

    def _prefetch_personless(self, team_id: int, distinct_ids: list[str]) -> None:
        """Whether ids without a person had personless events: identity events ask."""
        if not distinct_ids:
            return
        marks = ",".join("?" * len(distinct_ids))
        rows = self._conn.execute(
            "SELECT distinct_id FROM personless_ids "
            f"WHERE team_id = ? AND distinct_id IN ({marks})",
            (team_id, *distinct_ids),
        ).fetchall()
        personless = {row[0] for row in rows}
        self._personless.update(dict.fromkeys((team_id, d) for d in personless))
        self._never_personless.update((team_id, d) for d in distinct_ids if d not in personless)

    def get_by_distinct_id(self, team_id: int, distinct_id: str) -> Person | None:
        in_batch = self._in_batch()
        if in_batch:
            if (cached := self._cache.get((team_id, distinct_id))) is not None:
                return cached
            if (team_id, distinct_id) in self._absent:
                return None
        rows = self._fetch(
            f"SELECT {PERSON_COLUMNS} FROM distinct_ids d "
            "JOIN persons p ON p.team_id = d.team_id AND p.id = d.person_id "
            "WHERE d.team_id = ? AND d.distinct_id = ?",
            (team_id, distinct_id),
        )
        person = self._person(rows[0] if rows else None)
        if in_batch and person is not None:
            self._cache[(team_id, distinct_id)] = person
        return person

    def get(self, team_id: int, person_id: str) -> Person | None:
        rows = self._fetch(
            f"SELECT {PERSON_COLUMNS} FROM persons p WHERE p.team_id = ? AND p.id = ?",
            (team_id, person_id),
        )
        return self._person(rows[0] if rows else None)

    def distinct_ids(self, team_id: int, person_id: str) -> list[str]:
        rows = self._fetch(
            "SELECT distinct_id FROM distinct_ids INDEXED BY distinct_ids_by_person "
            "WHERE team_id = ? AND person_id = ? "
            "ORDER BY version, distinct_id",
            (team_id, person_id),
        )
        return [r[0] for r in rows]

    def count(self, team_id: int) -> int:
        return int(self._fetch("SELECT count(*) FROM persons WHERE team_id = ?", (team_id,))[0][0])

    def recent(self, team_id: int, limit: int, offset: int, search: str = "") -> Iterator[Person]:
        """Persons newest first; with `search`, only those it finds (`persons/search.py`)."""
        where = "p.team_id = :team"
        args: dict[str, Any] = {"team": team_id, "limit": limit, "offset": offset}
        if search:
            where += " AND " + SEARCH_CONDITION
            args.update(search_params(search))
        rows = self._fetch(
            f"SELECT {PERSON_COLUMNS} FROM persons p WHERE {where} "
            "ORDER BY p.created_at DESC, p.id LIMIT :limit OFFSET :offset",
            args,
        )
        for row in rows:
            person = self._person(row)
            if person is not None:
                yield person

    # -- writing (inside a transaction) ----------------------------------------------------

    def create(
        self,
        team_id: int,
        distinct_id: str,
        *,
        properties: dict[str, Any],
        created_at: str,
        person_id: str | None = None,
        is_identified: bool = False,
    ) -> Person:
        pid = person_id or person_uuid(team_id, distinct_id)
        person = Person(team_id, pid, properties, is_identified, created_at)
        person.idx = self.index_of(pid)
        with self._lock:
            self._dirty[(team_id, person.id)] = person
        self.attach(person, distinct_id)
        return person

    def attach(self, person: Person, distinct_id: str, version: int = 0) -> None:
        """Map a distinct id that has no person yet to `person`."""
        with self._lock:
            self._new_ids.append((person.team_id, distinct_id, person.id, version))
            self._cache[(person.team_id, distinct_id)] = person
            self._absent.discard((person.team_id, distinct_id))

    def update_properties(self, person: Person) -> None:
        person.version += 1
        with self._lock:
            self._dirty[(person.team_id, person.id)] = person

    def merge(self, source: Person, target: Person) -> list[Override]:
        """Move every distinct id of `source` to `target`, delete `source`, and return the
        overrides that make events stored under `source` count as `target`."""
        with self._lock:
            self._flush()
            rows = self._conn.execute(
                "SELECT distinct_id, version FROM distinct_ids INDEXED BY distinct_ids_by_person "
                "WHERE team_id = ? AND person_id = ?",
                (source.team_id, source.id),
            ).fetchall()
            moved = [(did, version + 1) for did, version in rows]
            self._conn.executemany(
                "UPDATE distinct_ids SET person_id = ?, version = ? "
                "WHERE team_id = ? AND distinct_id = ?",
                [(target.id, version, target.team_id, did) for did, version in moved],
            )
            self._conn.execute(
                "DELETE FROM persons WHERE team_id = ? AND id = ?", (source.team_id, source.id)
            )
            self._write_mirror(
                [
                    MirrorRow(
                        "person",
                        source.team_id,
                        source.id,
                        source.version + 100,
                        created_at=source.created_at,
                        is_deleted=True,
                    ),
                    *(
                        MirrorRow(
                            "distinct_id", target.team_id, target.id, version, distinct_id=did
                        )
                        for did, version in moved
                    ),
                ]
            )
            # The source's events count as the target, and so do the events of persons
            # merged into the source before.
            earlier = override_outbox.earlier_overrides(self._conn, source.team_id, source.id)
            own_version = override_outbox.next_version(self._conn, source.team_id, source.id)
            into = target.idx
            overrides = [
                Override(target.team_id, source.id, target.id, own_version, source.idx, into)
            ] + [
                Override(target.team_id, old, target.id, version + 1, self.index_of(old), into)
                for old, version in earlier
            ]
            self.record_overrides(overrides)
            for did, _ in moved:
                self._cache[(target.team_id, did)] = target
            target.properties = {**source.properties, **target.properties}
            target.created_at = min(target.created_at, source.created_at)
            target.is_identified = True
            target.version = max(target.version, source.version) + 1
            self._dirty[(target.team_id, target.id)] = target
            return overrides

    def mark_personless(self, team_id: int, distinct_id: str) -> None:
        key = (team_id, distinct_id)
        if key not in self._personless:
            with self._lock:
                self._personless[key] = None
                self._new_personless.append(key)

    def was_personless(self, team_id: int, distinct_id: str) -> bool:
        if (team_id, distinct_id) in self._personless:
            return True
        if self._in_batch() and (team_id, distinct_id) in self._never_personless:
            return False
        rows = self._fetch(
            "SELECT 1 FROM personless_ids WHERE team_id = ? AND distinct_id = ?",
            (team_id, distinct_id),
        )
        return bool(rows)

    def index_of(self, person_id: str) -> int:
        idx = self._indexes.cached(person_id)
        if idx is not None:
            return idx
        assert self._in_batch(), "person indexes are given inside a transaction"
        return self._indexes.assign(person_id)

    def indexes(self, person_ids: Iterable[str]) -> dict[str, int]:
        with self._lock:
            if self._in_batch():
                return {pid: self.index_of(pid) for pid in person_ids}
            with self.transaction():
                return {pid: self.index_of(pid) for pid in person_ids}

    def record_overrides(self, overrides: Iterable[Override]) -> None:
        with self._lock:
            override_outbox.record(self._conn, overrides)

    def erase(self, team_id: int, person_id: str) -> ErasedPerson | None:
        """Delete a person and every row naming it (`persons/erasure.py`) in one transaction,
        and forget what the caches hold of it. Call it between ingestion batches."""
        with self._lock:
            assert not self._in_batch(), "erase between batches, not inside one"
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                erased = erase_rows(self._conn, team_id, person_id)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            if erased is not None:
                for did in erased.distinct_ids:
                    self._cache.pop((team_id, did), None)
                    self._personless.pop((team_id, did), None)
                self._indexes.forget(erased.person_ids)
                # Mirror rows not yet handed over would bring the person back.
                self._mirror = [m for m in self._mirror if m.person_id != person_id]
            return erased

    # -- the outboxes ----------------------------------------------------------------------

    def _write_mirror(self, rows: list[MirrorRow]) -> None:
        self._pending_mirror.extend(rows)

    def take_mirror(self) -> list[MirrorRow]:
        """The person and distinct-id changes of committed transactions, once."""
        with self._lock:
            rows, self._mirror = self._mirror, []
        return rows

    def pending_overrides(self, limit: int = 10_000) -> list[tuple[int, Override]]:
        with self._lock:
            rows = override_outbox.pending(self._conn, limit)
            # Rows written before person indexes existed get theirs now.
            missing = [pid for row in rows if not (row[5] and row[6]) for pid in row[2:4]]
            found = self.indexes(missing) if missing else {}
        overrides = []
        for key, team_id, old, person_id, version, old_idx, idx in rows:
            old_idx = old_idx or found[old]
            idx = idx or found[person_id]
            overrides.append((key, Override(team_id, old, person_id, version, old_idx, idx)))
        return overrides

    def clear_overrides(self, up_to_id: int) -> None:
        with self._lock:
            override_outbox.clear(self._conn, up_to_id)

    def legacy_overrides(self) -> list[tuple[int, str, str]]:
        """(project, distinct_id, person_id) left in an outbox of the distinct-id format,
        for the event store to apply once (then `drop_legacy_overrides`)."""
        with self._lock:
            return override_outbox.legacy(self._conn)

    def drop_legacy_overrides(self) -> None:
        with self._lock:
            override_outbox.drop_legacy(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        with self._reader_lock:
            self._reader.close()
