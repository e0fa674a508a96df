"""The person store on PostgreSQL (`--persons-url postgresql://…`), for several ingestion
workers writing at once.

The merge rules are the embedded store's (`identity.py` drives both); what differs is that
another worker may change any person at any moment, so a batch locks what it will write
before it reads it, and what it knows of a person from earlier batches counts only once the
row is locked and found unchanged:

1. `prefetch` takes a transaction-level advisory lock on each (project, distinct id) the
   batch names, its events' ids and those its identity events name, in one global order
   (sorted keys): two batches naming the same id run one after the other, and no
   distinct id gets two persons.
2. It then reads which persons those ids belong to and locks those rows
   (`SELECT … FOR UPDATE`, ordered by id), and reads the ids again: a merge committed
   meanwhile may have moved an id to another person (the one it read is gone); that one is
   locked in turn, until every id's person is locked. A locked person cannot be merged away
   or changed by anyone else until the batch commits. The locking statement reads each
   person's properties only when the row is not the version this store last read or wrote:
   a row's `xmin` (the id of the transaction that wrote that version) changes with every
   write, by any worker, and the properties of the version last seen are kept (up to
   `PROPERTIES_CACHE_SIZE` persons, as committed). Unchanged persons, most of a batch's,
   cost no `jsonb` sent and parsed.

Two workers merging the same two persons in opposite directions both name both ids: the
second waits at step 1 for the first to commit, then finds both ids on one person and has
nothing to merge. Locks taken later than step 1 (an id no prefetch named) can still form a
cycle with another batch; PostgreSQL detects it and fails one transaction, and the worker
replays that batch whole (as after any failure), so no merge is lost.

Person indexes are given on a connection of their own in short autocommitted statements:
an index given for a batch that then rolls back is merely unused, and no batch ever waits
for another's index.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from hedgerow.persons import postgres_writes as writes
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.postgres_schema import COMPONENT, MIGRATIONS, PERSON_COLUMNS
from hedgerow.persons.postgres_search import SEARCH_CONDITION
from hedgerow.persons.search import search_params
from hedgerow.persons.store import ErasedPerson, MirrorRow, Override, Person
from hedgerow.postgres import migrate, open_pool

INDEX_CACHE_SIZE = 500_000
PROPERTIES_CACHE_SIZE = 100_000
MAX_LOCK_ROUNDS = 20  # rounds of step 2 before the batch gives up (and is replayed)

Key = tuple[int, str]
# A person's row version (`xmin`) and its properties in that version.
Seen = tuple[str, dict[str, Any]]
# The locking read: properties only where the row is not the version the store knows.
_LOCKED_COLUMNS = (
    "p.team_id, p.id, CASE WHEN p.xmin::text = known.xmin THEN NULL ELSE p.properties END, "
    "p.is_identified, p.created_at, p.version, "
    "(SELECT i.idx FROM person_index i WHERE i.person_id = p.id), p.xmin::text"
)


def advisory_key(team_id: int, distinct_id: str) -> int:
    """The 64-bit advisory lock key of a (project, distinct id)."""
    digest = hashlib.blake2b(f"{team_id}:{distinct_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PersonsChanging(RuntimeError):
    """The persons of a batch's ids kept being merged away while it locked them."""


class PostgresPersonStore:
    def __init__(self, url: str, pool_size: int = 4) -> None:
        self._pool = open_pool(url, pool_size, "hedgerow-persons")
        migrate(self._pool, COMPONENT, MIGRATIONS)
        self._lock = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None  # the open batch's connection
        self._writer_thread: int | None = None
        self._indexes: dict[str, int] = {}  # person id -> index: given once, never changed
        self._seen: dict[Key, Seen] = {}  # (project, person id): the version last committed
        self._handed_out: set[int] = set()  # outbox ids given by `pending_overrides`
        self._mirror: list[MirrorRow] = []  # committed changes not yet mirrored
        self._reset_batch()

    def _reset_batch(self) -> None:
        self._cache: dict[Key, Person] = {}
        self._absent: set[Key] = set()
        self._held: set[Key] = set()  # ids whose advisory lock the batch holds
        self._locked: dict[tuple[int, str], Person] = {}  # persons the batch has locked
        self._personless: set[Key] = set()
        self._never_personless: set[Key] = set()
        self._new_ids: list[tuple[int, str, str, int]] = []
        self._new_personless: list[Key] = []
        self._dirty: dict[tuple[int, str], Person] = {}
        self._pending_mirror: list[MirrorRow] = []
        self._pending_seen: dict[Key, Seen] = {}  # versions read or written by the batch

    # -- the batch transaction -----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock, self._pool.connection() as conn:
            self._conn = conn
            self._writer_thread = threading.get_ident()
            try:
                with conn.transaction():
                    yield
                    self._flush()
                self._mirror.extend(self._pending_mirror)
                self._seen.update(self._pending_seen)  # committed: those versions are current
            finally:
                self._conn = None
                self._writer_thread = None
                self._reset_batch()
            if len(self._indexes) > INDEX_CACHE_SIZE:
                self._indexes.clear()
            if len(self._seen) > PROPERTIES_CACHE_SIZE:
                self._seen.clear()

    def _batch(self) -> psycopg.Connection[Any]:
        assert self._conn is not None and self._in_batch(), "inside a transaction only"
        return self._conn

    def _in_batch(self) -> bool:
        return self._writer_thread == threading.get_ident()

    def _flush(self) -> None:
        mirror, written = writes.write_batch(
            self._batch(),
            persons=self._dirty.values(),
            distinct_ids=self._new_ids,
            personless=self._new_personless,
        )
        for key, xmin in written.items():
            self._pending_seen[key] = (xmin, dict(self._dirty[key].properties))
        self._pending_mirror.extend(mirror)
        self._new_ids.clear()
        self._new_personless.clear()
        self._dirty.clear()

    # -- locking what a batch reads (the module's docstring) -------------------------------

    def prefetch(self, keys: Iterable[Key]) -> None:
        wanted = sorted({key for key in keys if key not in self._held})
        if not wanted:
            return
        self._hold(wanted)
        by_team: dict[int, list[str]] = {}
        for team_id, distinct_id in wanted:
            by_team.setdefault(team_id, []).append(distinct_id)
        for team_id, dids in by_team.items():
            self._lock_persons(team_id, dids)
            absent = [d for d in dids if (team_id, d) in self._absent]
            self._prefetch_personless(team_id, absent)
            self._give_indexes([person_uuid(team_id, d) for d in absent])

    def _hold(self, keys: list[Key]) -> None:
        """Step 1: the advisory locks of these ids, in the order of their lock keys."""
        lock_keys = sorted({advisory_key(team_id, did) for team_id, did in keys})
        self._batch().execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", (lock_keys,)
        )
        self._held.update(keys)

    def _lock_persons(self, team_id: int, dids: list[str]) -> None:
        """Step 2: lock the persons of these ids until no id has moved meanwhile."""
        conn = self._batch()
        for _ in range(MAX_LOCK_ROUNDS):
            rows = conn.execute(
                "SELECT distinct_id, person_id FROM distinct_ids "
                "WHERE team_id = %s AND distinct_id = ANY(%s)",
                (team_id, dids),
            ).fetchall()
            mapping = {str(did): str(pid) for did, pid in rows}
            missing = sorted({p for p in mapping.values() if (team_id, p) not in self._locked})
            if not missing:
                break
            seen = self._seen
            known = [(p, seen[(team_id, p)][0]) for p in missing if (team_id, p) in seen]
            locked = conn.execute(
                f"SELECT {_LOCKED_COLUMNS} FROM persons p LEFT JOIN "
                "unnest(%s::text[], %s::text[]) AS known(id, xmin) ON known.id = p.id "
                "WHERE p.team_id = %s AND p.id = ANY(%s) ORDER BY p.id FOR UPDATE OF p",
                ([p for p, _ in known], [x for _, x in known], team_id, missing),
            ).fetchall()
            for *row, xmin in locked:
                key = (team_id, str(row[1]))
                if row[2] is None:  # the version this store knows: its properties
                    row[2] = dict(self._seen[key][1])
                self._pending_seen[key] = (str(xmin), dict(row[2]))  # before steps change it
                person = self._person(tuple(row))
                self._locked[key] = person
        else:
            raise PersonsChanging(
                f"the persons of {len(dids)} distinct ids kept changing while this batch "
                "locked them; the batch is replayed"
            )
        for did in dids:
            pid = mapping.get(did)
            if pid is None:
                self._absent.add((team_id, did))
            else:
                self._cache[(team_id, did)] = self._locked[(team_id, pid)]

    def _prefetch_personless(self, team_id: int, dids: list[str]) -> None:
        if not dids:
            return
        rows = self._fetch(
            "SELECT distinct_id FROM personless_ids WHERE team_id = %s AND distinct_id = ANY(%s)",
            (team_id, dids),
        )
        found = {str(r[0]) for r in rows}
        self._personless.update((team_id, d) for d in found)
        self._never_personless.update((team_id, d) for d in dids if d not in found)

    # -- reading ---------------------------------------------------------------------------

    def _fetch(self, sql: str, args: tuple[Any, ...] | dict[str, Any]) -> list[Any]:
        """Rows from the batch's connection inside a transaction, else from the pool."""
        if self._in_batch():
            return self._batch().execute(sql, args).fetchall()
        with self._pool.connection() as conn:
            return conn.execute(sql, args).fetchall()

    def _person(self, row: tuple[Any, ...]) -> Person:
        team_id, pid, properties, identified, created_at, version, idx = row
        person = Person(team_id, pid, properties, bool(identified), created_at, int(version))
        if idx is not None:
            person.idx = int(idx)
            self._indexes[pid] = person.idx
        else:
            person.idx = self.index_of(pid)
        return person

    def get_by_distinct_id(self, team_id: int, distinct_id: str) -> Person | None:
        key = (team_id, distinct_id)
        if self._in_batch():
            cached = self._cache.get(key)
            if cached is None and key not in self._held:  # not prefetched: lock it now
                self.prefetch([key])
                cached = self._cache.get(key)
            return cached
        rows = self._fetch(
            f"SELECT {PERSON_COLUMNS} FROM distinct_ids d "
            "JOIN persons p ON p.team_id = d.team_id AND p.id = d.person_id "
            "WHERE d.team_id = %s AND d.distinct_id = %s",
            key,
        )
        return self._person(rows[0]) if rows else None

    def get(self, team_id: int, person_id: str) -> Person | None:
        rows = self._fetch(
            f"SELECT {PERSON_COLUMNS} FROM persons p WHERE p.team_id = %s AND p.id = %s",
            (team_id, person_id),
        )
        return self._person(rows[0]) if rows else None

    def distinct_ids(self, team_id: int, person_id: str) -> list[str]:
        rows = self._fetch(
            "SELECT distinct_id FROM distinct_ids WHERE team_id = %s AND person_id = %s "
            "ORDER BY version, distinct_id",
            (team_id, person_id),
        )
        return [str(r[0]) for r in rows]

    def count(self, team_id: int) -> int:
        rows = self._fetch("SELECT count(*) FROM persons WHERE team_id = %s", (team_id,))
        return int(rows[0][0])

    def recent(self, team_id: int, limit: int, offset: int, search: str = "") -> Iterator[Person]:
        where = "p.team_id = %(team)s"
        args: dict[str, Any] = {"team": team_id, "limit": limit, "offset": offset}
        if search:
            where += " AND " + SEARCH_CONDITION
            args.update(search_params(search))
        rows = self._fetch(
            f"SELECT {PERSON_COLUMNS} FROM persons p WHERE {where} "
            "ORDER BY p.created_at DESC, p.id LIMIT %(limit)s OFFSET %(offset)s",
            args,
        )
        for row in rows:
            yield self._person(row)

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
        self._dirty[(team_id, pid)] = person
        self._locked[(team_id, pid)] = person  # new: no one else has its ids
        self.attach(person, distinct_id)
        return person

    def attach(self, person: Person, distinct_id: str, version: int = 0) -> None:
        key = (person.team_id, distinct_id)
        self._new_ids.append((person.team_id, distinct_id, person.id, version))
        self._cache[key] = person
        self._absent.discard(key)

    def update_properties(self, person: Person) -> None:
        person.version += 1
        self._dirty[(person.team_id, person.id)] = person

    def merge(self, source: Person, target: Person) -> list[Override]:
        """Move every distinct id of `source` to `target`, delete `source`, and return the
        overrides that make events stored under `source` count as `target`."""
        conn = self._batch()
        self._flush()
        team_id = source.team_id
        unlocked = sorted(p.id for p in (source, target) if (team_id, p.id) not in self._locked)
        if unlocked:  # persons reached without a prefetch (not by ingestion's steps)
            conn.execute(
                "SELECT 1 FROM persons WHERE team_id = %s AND id = ANY(%s) ORDER BY id FOR UPDATE",
                (team_id, unlocked),
            )
        moved = writes.move_distinct_ids(conn, source, target)
        self._pending_mirror.append(
            MirrorRow(
                "person",
                team_id,
                source.id,
                source.version + 100,
                created_at=source.created_at,
                is_deleted=True,
            )
        )
        self._pending_mirror.extend(
            MirrorRow("distinct_id", team_id, target.id, version, distinct_id=did)
            for did, version in moved
        )
        # The source's events count as the target, and so do the events of persons merged
        # into the source before.
        earlier = writes.earlier_overrides(conn, team_id, source.id)
        own_version = writes.next_version(conn, team_id, source.id)
        into = target.idx
        overrides = [Override(team_id, source.id, target.id, own_version, source.idx, into)] + [
            Override(team_id, old, target.id, version + 1, self.index_of(old), into)
            for old, version in earlier
        ]
        writes.record_overrides(conn, overrides)
        for did, _ in moved:
            self._cache[(team_id, did)] = target
        self._locked.pop((team_id, source.id), None)
        target.properties = {**source.properties, **target.properties}
        target.created_at = min(target.created_at, source.created_at)
        target.is_identified = True
        target.version = max(target.version, source.version) + 1
        self._dirty[(team_id, target.id)] = target
        return overrides

    def mark_personless(self, team_id: int, distinct_id: str) -> None:
        key = (team_id, distinct_id)
        if key not in self._personless:
            self._personless.add(key)
            self._new_personless.append(key)

    def was_personless(self, team_id: int, distinct_id: str) -> bool:
        key = (team_id, distinct_id)
        if key in self._personless:
            return True
        if self._in_batch() and key in self._never_personless:
            return False
        rows = self._fetch(
            "SELECT 1 FROM personless_ids WHERE team_id = %s AND distinct_id = %s", key
        )
        return bool(rows)

    def record_overrides(self, overrides: Iterable[Override]) -> None:
        writes.record_overrides(self._batch(), list(overrides))

    # -- person indexes ----------------------------------------------------------------------

    def index_of(self, person_id: str) -> int:
        idx = self._indexes.get(person_id)
        return idx if idx is not None else self._give_indexes([person_id])[person_id]

    def indexes(self, person_ids: Iterable[str]) -> dict[str, int]:
        return self._give_indexes(list(person_ids))

    def _give_indexes(self, person_ids: list[str]) -> dict[str, int]:
        """The indexes of these person ids, given where missing, in autocommitted statements
        on a connection apart from the batch's (sorted: concurrent inserts never cross)."""
        missing = sorted({p for p in person_ids if p not in self._indexes})
        if missing:
            with self._pool.connection() as conn:
                select = "SELECT person_id, idx FROM person_index WHERE person_id = ANY(%s)"
                found = dict(conn.execute(select, (missing,)).fetchall())
                new = [p for p in missing if p not in found]
                if new:
                    conn.execute(
                        "INSERT INTO person_index (person_id) SELECT p FROM unnest(%s::text[]) "
                        "AS p ORDER BY p ON CONFLICT (person_id) DO NOTHING",
                        (new,),
                    )
                    found.update(conn.execute(select, (new,)).fetchall())
            self._indexes.update({str(p): int(i) for p, i in found.items()})
        return {p: self._indexes[p] for p in person_ids}

    # -- erasure -----------------------------------------------------------------------------

    def erase(self, team_id: int, person_id: str) -> ErasedPerson | None:
        """Delete a person and every row naming it in one transaction (between batches)."""
        with self._lock:
            assert not self._in_batch(), "erase between batches, not inside one"
            with self._pool.connection() as conn, conn.transaction():
                erased = writes.erase_rows(conn, team_id, person_id)
            if erased is not None:
                for pid in erased.person_ids:
                    self._indexes.pop(pid, None)
                    self._seen.pop((team_id, pid), None)
                self._mirror = [m for m in self._mirror if m.person_id != person_id]
            return erased

    # -- the outboxes ------------------------------------------------------------------------

    def take_mirror(self) -> list[MirrorRow]:
        with self._lock:
            rows, self._mirror = self._mirror, []
        return rows

    def pending_overrides(self, limit: int = 10_000) -> list[tuple[int, Override]]:
        rows = self._fetch(
            "SELECT id, team_id, old_person_id, person_id, version, old_person_idx, "
            "person_idx FROM override_outbox ORDER BY id LIMIT %s",
            (limit,),
        )
        overrides = [
            (int(key), Override(int(t), str(old), str(p), int(v), int(oi), int(i)))
            for key, t, old, p, v, oi, i in rows
        ]
        with self._lock:
            self._handed_out.update(key for key, _ in overrides)
        return overrides

    def clear_overrides(self, up_to_id: int) -> None:
        """Delete the outbox rows this store handed out, up to `up_to_id` (rows of other
        workers' transactions may commit with lower ids later: they stay)."""
        with self._lock:
            ids = sorted(i for i in self._handed_out if i <= up_to_id)
            self._handed_out.difference_update(ids)
        if not ids:
            return
        if self._in_batch():
            writes.clear_outbox(self._batch(), ids)
        else:
            with self._pool.connection() as conn:
                writes.clear_outbox(conn, ids)

    def legacy_overrides(self) -> list[tuple[int, str, str]]:
        return []  # the distinct-id outbox predates this store

    def drop_legacy_overrides(self) -> None:
        pass

    def close(self) -> None:
        self._pool.close()
