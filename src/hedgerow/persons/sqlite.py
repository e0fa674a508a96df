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
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import MirrorRow, Override, Person
from hedgerow.sqlite_rows import insert_rows

CACHE_SIZE = 500_000
PAGE_CACHE_KIB = 131_072  # SQLite's page cache for the writer (default 2 MiB)
MMAP_BYTES = 1 << 30  # reads go through the OS page cache without copies
CHECKPOINT_PAGES = 16_384  # copy the WAL back every 64 MiB: random person writes coalesce

_SCHEMA = """
CREATE TABLE IF NOT EXISTS persons (
    team_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    properties TEXT NOT NULL,
    is_identified INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS distinct_ids (
    team_id INTEGER NOT NULL,
    distinct_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, distinct_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS distinct_ids_by_person ON distinct_ids (team_id, person_id);
CREATE TABLE IF NOT EXISTS personless_ids (
    team_id INTEGER NOT NULL,
    distinct_id TEXT NOT NULL,
    PRIMARY KEY (team_id, distinct_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS person_overrides (
    team_id INTEGER NOT NULL,
    old_person_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (team_id, old_person_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS person_overrides_by_person ON person_overrides (team_id, person_id);
CREATE TABLE IF NOT EXISTS override_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    old_person_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    old_person_idx INTEGER NOT NULL DEFAULT 0,
    person_idx INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS person_index (
    idx INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL UNIQUE
);
"""

# Before overrides were keyed by person id, the outbox held distinct ids.
_LEGACY_OUTBOX = "legacy_distinct_id_outbox"

_PERSON_COLUMNS = (
    "p.team_id, p.id, p.properties, p.is_identified, p.created_at, p.version, "
    "(SELECT i.idx FROM person_index i WHERE i.person_id = p.id)"
)


class SqlitePersonStore:
    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        self._conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        self._conn.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        outbox = [r[1] for r in self._conn.execute("PRAGMA table_info(override_outbox)")]
        if "distinct_id" in outbox:
            self._conn.execute(f"ALTER TABLE override_outbox RENAME TO {_LEGACY_OUTBOX}")
        self._conn.executescript(_SCHEMA)
        outbox = [r[1] for r in self._conn.execute("PRAGMA table_info(override_outbox)")]
        for column in ("old_person_idx", "person_idx"):  # outboxes from before person indexes
            if column not in outbox:
                self._conn.execute(
                    f"ALTER TABLE override_outbox ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0"
                )
        self._lock = threading.RLock()
        self._cache: dict[tuple[int, str], Person] = {}
        self._absent: set[tuple[int, str]] = set()
        self._never_personless: set[tuple[int, str]] = set()  # checked in this batch
        self._personless: set[tuple[int, str]] = set()
        self._new_ids: list[tuple[int, str, str, int]] = []
        self._new_personless: list[tuple[int, str]] = []
        self._dirty: dict[tuple[int, str], Person] = {}
        self._writer_thread: int | None = None
        self._mirror: list[MirrorRow] = []  # committed changes not yet mirrored
        self._pending_mirror: list[MirrorRow] = []  # changes of the open transaction
        self._index: dict[str, int] = {}  # person id -> person index
        self._unindexed: set[str] = set()  # person ids known to have no index (this batch)
        self._new_index: list[tuple[int, str]] = []
        self._next_idx = self._last_index() + 1
        # Readers outside ingestion (the API) use their own connection and see committed rows.
        self._reader = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._reader_lock = threading.Lock()

    # -- the batch transaction -----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._writer_thread = threading.get_ident()
            try:
                yield
                self._flush()
                self._conn.execute("COMMIT")
                self._mirror.extend(self._pending_mirror)
            except BaseException:
                self._conn.execute("ROLLBACK")
                self._cache.clear()
                self._personless.clear()
                self._index.clear()
                self._next_idx = self._last_index() + 1
                raise
            finally:
                self._new_ids.clear()
                self._new_index.clear()
                self._unindexed.clear()
                self._new_personless.clear()
                self._dirty.clear()
                self._absent.clear()
                self._never_personless.clear()
                self._pending_mirror = []
                self._writer_thread = None
            if len(self._cache) > CACHE_SIZE:
                self._cache.clear()
            if len(self._personless) > CACHE_SIZE:
                self._personless.clear()
            if len(self._index) > CACHE_SIZE:
                self._index.clear()

    def _last_index(self) -> int:
        row = self._conn.execute("SELECT max(idx) FROM person_index").fetchone()
        return int(row[0] or 0)

    def _flush(self) -> None:
        rows = [
            (
                p.team_id,
                p.id,
                orjson.dumps(p.properties).decode(),
                int(p.is_identified),
                p.created_at,
                p.version,
            )
            for p in self._dirty.values()
        ]
        insert_rows(
            self._conn,
            "INSERT INTO persons (team_id, id, properties, is_identified, created_at, version)",
            rows,
            "ON CONFLICT (team_id, id) DO UPDATE SET "
            "properties = excluded.properties, is_identified = excluded.is_identified, "
            "created_at = excluded.created_at, version = excluded.version",
        )
        insert_rows(
            self._conn,
            "INSERT INTO distinct_ids (team_id, distinct_id, person_id, version)",
            self._new_ids,
            "ON CONFLICT DO NOTHING",
        )
        insert_rows(
            self._conn,
            "INSERT OR IGNORE INTO personless_ids (team_id, distinct_id)",
            self._new_personless,
        )
        insert_rows(self._conn, "INSERT INTO person_index (idx, person_id)", self._new_index)
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
            for team, did, pid, version in self._new_ids
        ]
        self._write_mirror(mirror)
        self._new_ids.clear()
        self._new_personless.clear()
        self._new_index.clear()
        self._dirty.clear()

    # -- reading ---------------------------------------------------------------------------

    def _in_batch(self) -> bool:
        return self._writer_thread == threading.get_ident()

    def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        """Rows from the writer inside ingestion's transaction, else from the reader."""
        if self._in_batch():
            return self._conn.execute(sql, args).fetchall()
        with self._reader_lock:
            return self._reader.execute(sql, args).fetchall()

    def _person(self, row: tuple[Any, ...] | None) -> Person | None:
        """A person from a row of `_PERSON_COLUMNS`; inside a batch, with its index given if
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
                self._index[pid] = idx
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
                    f"SELECT d.distinct_id, {_PERSON_COLUMNS} FROM distinct_ids d "
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
                self._prefetch_indexes([person_uuid(team_id, d) for d in absent])

    def _prefetch_indexes(self, person_ids: list[str]) -> None:
        """The indexes of the deterministic person ids of distinct ids without a person: a
        personless event or a new person needs one."""
        if not person_ids:
            return
        marks = ",".join("?" * len(person_ids))
        rows = self._conn.execute(
            f"SELECT person_id, idx FROM person_index WHERE person_id IN ({marks})", person_ids
        ).fetchall()
        self._index.update(rows)
        self._unindexed.update(p for p in person_ids if p not in self._index)

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
        self._personless.update((team_id, d) for d in personless)
        self._never_personless.update((team_id, d) for d in distinct_ids if d not in personless)

    def get_by_distinct_id(self, team_id: int, distinct_id: str) -> Person | None:
        in_batch = self._in_batch()
        if in_batch:
            if (cached := self._cache.get((team_id, distinct_id))) is not None:
                return cached
            if (team_id, distinct_id) in self._absent:
                return None
        rows = self._fetch(
            f"SELECT {_PERSON_COLUMNS} FROM distinct_ids d "
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
            f"SELECT {_PERSON_COLUMNS} FROM persons p WHERE p.team_id = ? AND p.id = ?",
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

    def recent(self, team_id: int, limit: int, offset: int) -> Iterator[Person]:
        rows = self._fetch(
            f"SELECT {_PERSON_COLUMNS} FROM persons p "
            "WHERE p.team_id = ? ORDER BY p.created_at DESC LIMIT ? OFFSET ?",
            (team_id, limit, offset),
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
            earlier = self._conn.execute(
                "SELECT old_person_id, version FROM person_overrides "
                "INDEXED BY person_overrides_by_person WHERE team_id = ? AND person_id = ?",
                (source.team_id, source.id),
            ).fetchall()
            own = self._conn.execute(
                "SELECT version FROM person_overrides WHERE team_id = ? AND old_person_id = ?",
                (source.team_id, source.id),
            ).fetchone()
            own_version = int(own[0]) + 1 if own else 1
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
                self._personless.add(key)
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
        idx = self._index.get(person_id)
        if idx is not None:
            return idx
        assert self._in_batch(), "person indexes are given inside a transaction"
        row = None
        if person_id not in self._unindexed:
            row = self._conn.execute(
                "SELECT idx FROM person_index WHERE person_id = ?", (person_id,)
            ).fetchone()
        if row is not None:
            idx = int(row[0])
        else:
            idx = self._next_idx
            self._next_idx += 1
            self._new_index.append((idx, person_id))
            self._unindexed.discard(person_id)
        self._index[person_id] = idx
        return idx

    def indexes(self, person_ids: Iterable[str]) -> dict[str, int]:
        with self._lock:
            if self._in_batch():
                return {pid: self.index_of(pid) for pid in person_ids}
            with self.transaction():
                return {pid: self.index_of(pid) for pid in person_ids}

    def record_overrides(self, overrides: Iterable[Override]) -> None:
        rows = [
            (o.team_id, o.old_person_id, o.person_id, o.version, o.old_person_idx, o.person_idx)
            for o in overrides
        ]
        with self._lock:
            self._conn.executemany(
                "INSERT INTO person_overrides (team_id, old_person_id, person_id, version) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (team_id, old_person_id) DO UPDATE SET "
                "person_id = excluded.person_id, version = excluded.version",
                [row[:4] for row in rows],
            )
            self._conn.executemany(
                "INSERT INTO override_outbox (team_id, old_person_id, person_id, version, "
                "old_person_idx, person_idx) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

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
            rows = self._conn.execute(
                "SELECT id, team_id, old_person_id, person_id, version, old_person_idx, "
                "person_idx FROM override_outbox ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
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
            self._conn.execute("DELETE FROM override_outbox WHERE id <= ?", (up_to_id,))

    def legacy_overrides(self) -> list[tuple[int, str, str]]:
        """(project, distinct_id, person_id) left in an outbox of the distinct-id format,
        for the event store to apply once (then `drop_legacy_overrides`)."""
        with self._lock:
            exists = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_LEGACY_OUTBOX,)
            ).fetchone()
            if not exists:
                return []
            rows = self._conn.execute(
                f"SELECT team_id, distinct_id, person_id FROM {_LEGACY_OUTBOX} ORDER BY id"
            ).fetchall()
        return [(int(t), str(d), str(p)) for t, d, p in rows]

    def drop_legacy_overrides(self) -> None:
        with self._lock:
            self._conn.execute(f"DROP TABLE IF EXISTS {_LEGACY_OUTBOX}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        with self._reader_lock:
            self._reader.close()
