"""The cookieless store, `cookieless.sqlite3` in the data directory: one random salt per day
and, for projects in stateful mode, the sessions and `$identify` events seen per hash.

A salt is 16 bytes from `secrets`, made when the first event of its day arrives and deleted
at `salt_expiry` (cookieless/days.py): from then on the hashes of that day can no longer be
linked to an IP address or user agent, by anyone. Deleted rows are overwritten in the file
(`secure_delete`) and the write-ahead log is truncated after each purge, so the salt's bytes
are gone from disk, not only from the table. Stateful rows expire with the last salt they
can be hashed with. The ingestion thread alone uses the store.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from hedgerow.clock import Clock
from hedgerow.cookieless.days import salt_expiry
from hedgerow.cookieless.hashing import visitor_hash

SALT_BYTES = 16
PURGE_EVERY = 60.0  # seconds between purges while the store is in use

_SCHEMA = """
CREATE TABLE IF NOT EXISTS salts (
    day TEXT PRIMARY KEY,
    salt BLOB NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS identifies (
    team_id INTEGER NOT NULL,
    base_hash BLOB NOT NULL,
    event_uuid TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (team_id, base_hash, event_uuid)
);
CREATE TABLE IF NOT EXISTS sessions (
    team_id INTEGER NOT NULL,
    hash BLOB NOT NULL,
    session_id TEXT NOT NULL,
    last_activity_ms INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (team_id, hash)
);
"""


@dataclass(frozen=True)
class Session:
    session_id: str
    last_activity_ms: int


class CookielessStore:
    def __init__(self, path: Path, clock: Clock, max_lag: float) -> None:
        self.path = path
        self.clock = clock
        self.max_lag = max_lag
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA secure_delete=ON")
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(_SCHEMA)
        self._salts: dict[str, bytes] = {}
        self._next_purge = 0.0
        self.purge()

    def salt(self, day: str) -> bytes:
        """The salt of `day`, made now if it has none (check `day_usable` first)."""
        self.purge_if_due()
        found = self._salts.get(day)
        if found is not None:
            return found
        expires = salt_expiry(day, self.max_lag)
        self._conn.execute(
            "INSERT OR IGNORE INTO salts (day, salt, expires_at) VALUES (?, ?, ?)",
            (day, secrets.token_bytes(SALT_BYTES), expires),
        )
        row = self._conn.execute("SELECT salt FROM salts WHERE day = ?", (day,)).fetchone()
        salt = bytes(row[0])
        self._salts[day] = salt
        self._next_purge = min(self._next_purge, expires)
        return salt

    def purge_if_due(self) -> None:
        if self.clock() >= self._next_purge:
            self.purge()

    def purge(self) -> None:
        """Delete every expired salt and stateful row, and the salts' bytes with them."""
        now = self.clock()
        deleted = 0
        for table in ("salts", "identifies", "sessions"):
            cursor = self._conn.execute(f"DELETE FROM {table} WHERE expires_at <= ?", (now,))
            deleted += cursor.rowcount
        self._salts = {d: s for d, s in self._salts.items() if salt_expiry(d, self.max_lag) > now}
        if deleted:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            visitor_hash.cache_clear()  # it holds hash inputs (IP, user agent) of the old days
        row = self._conn.execute("SELECT min(expires_at) FROM salts").fetchone()
        upcoming = row[0] if row and row[0] is not None else now + PURGE_EVERY
        self._next_purge = min(upcoming, now + PURGE_EVERY)

    def days(self) -> list[str]:
        """The days that have a salt (tests and the docs' examples)."""
        return [r[0] for r in self._conn.execute("SELECT day FROM salts ORDER BY day")]

    # -- stateful mode ----------------------------------------------------------------

    def identifies(self, team_id: int, base_hash: bytes) -> set[str]:
        rows = self._conn.execute(
            "SELECT event_uuid FROM identifies WHERE team_id = ? AND base_hash = ?",
            (team_id, base_hash),
        )
        return {r[0] for r in rows}

    def add_identify(self, team_id: int, base_hash: bytes, uuid: str, expires_at: float) -> None:
        self._conn.execute(
            "INSERT OR IGNORE INTO identifies VALUES (?, ?, ?, ?)",
            (team_id, base_hash, uuid, expires_at),
        )

    def session(self, team_id: int, digest: bytes) -> Session | None:
        row = self._conn.execute(
            "SELECT session_id, last_activity_ms FROM sessions WHERE team_id = ? AND hash = ?",
            (team_id, digest),
        ).fetchone()
        return Session(row[0], row[1]) if row else None

    def save_session(
        self, team_id: int, digest: bytes, session: Session, expires_at: float
    ) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?)",
            (team_id, digest, session.session_id, session.last_activity_ms, expires_at),
        )

    def close(self) -> None:
        self._conn.close()
