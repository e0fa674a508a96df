"""The tables of the embedded person store (`persons.sqlite3`) and how its connections open.

`open_writer` also upgrades files written by older versions: an override outbox keyed by
distinct id is set aside as `LEGACY_OUTBOX` (the event store applies it once), and outboxes
from before person indexes get their index columns.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

PAGE_CACHE_KIB = 131_072  # SQLite's page cache for the writer (default 2 MiB)
MMAP_BYTES = 1 << 30  # reads go through the OS page cache without copies
CHECKPOINT_PAGES = 16_384  # copy the WAL back every 64 MiB: random person writes coalesce

SCHEMA = """
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
LEGACY_OUTBOX = "legacy_distinct_id_outbox"

# A person row: what `SqlitePersonStore` reads persons with (the index may be missing).
PERSON_COLUMNS = (
    "p.team_id, p.id, p.properties, p.is_identified, p.created_at, p.version, "
    "(SELECT i.idx FROM person_index i WHERE i.person_id = p.id)"
)


def open_writer(path: Path) -> sqlite3.Connection:
    """The ingestion connection, with the schema created or upgraded."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
    conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    conn.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
    outbox = [r[1] for r in conn.execute("PRAGMA table_info(override_outbox)")]
    if "distinct_id" in outbox:
        conn.execute(f"ALTER TABLE override_outbox RENAME TO {LEGACY_OUTBOX}")
    conn.executescript(SCHEMA)
    outbox = [r[1] for r in conn.execute("PRAGMA table_info(override_outbox)")]
    for column in ("old_person_idx", "person_idx"):  # outboxes from before person indexes
        if column not in outbox:
            conn.execute(
                f"ALTER TABLE override_outbox ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0"
            )
    return conn


def open_reader(path: Path) -> sqlite3.Connection:
    """A connection for readers outside ingestion (the API): it sees committed rows."""
    return sqlite3.connect(path, check_same_thread=False, isolation_level=None)
