"""Projects and personal API keys, kept in `meta.sqlite3` in the data directory.

A project has a public token (what SDKs send) and an id (what the API uses). A personal API
key is stored only as its SHA-256 and may see a list of projects. Other processes (the
`hedgerow project` command) may add rows while the server runs; lookups that miss the cache
read the database again.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

_SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_hash TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS api_key_projects (
    key_hash TEXT NOT NULL REFERENCES api_keys(key_hash),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    PRIMARY KEY (key_hash, project_id)
);
"""


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    token: str
    timezone: str
    created_at: float


def valid_timezone(name: object) -> bool:
    """An IANA time zone name this machine knows ('UTC', 'Europe/Paris', ...)."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return False
    if name in ("UTC", "Etc/UTC") or name in available_timezones():
        try:
            ZoneInfo(name)
        except (ValueError, OSError):
            return False
        return True
    return False


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_token() -> str:
    return "phc_" + secrets.token_urlsafe(32)[:43]


def new_api_key() -> str:
    return "phx_" + secrets.token_urlsafe(32)[:43]


def connect_meta(path: Path, schema: str) -> sqlite3.Connection:
    """A connection to `meta.sqlite3` (projects, keys, actions), its tables created."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.executescript(schema)
    return conn


class ProjectCatalog:
    def __init__(self, path: Path) -> None:
        self._conn = connect_meta(path, _SCHEMA)
        self._lock = threading.Lock()
        self._by_token: dict[str, Project] = {}

    def _project(self, where: str, arg: object) -> Project | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT id, name, token, timezone, created_at FROM projects WHERE {where} = ?",
                (arg,),
            ).fetchone()
        return Project(*row) if row else None

    def by_token(self, token: str) -> Project | None:
        project = self._by_token.get(token)
        if project is None:
            project = self._project("token", token)
            if project is not None:
                self._by_token[token] = project
        return project

    def by_id(self, project_id: int) -> Project | None:
        return self._project("id", project_id)

    def all(self) -> list[Project]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, token, timezone, created_at FROM projects ORDER BY id"
            ).fetchall()
        return [Project(*row) for row in rows]

    def create_project(self, name: str, token: str | None = None, timezone: str = "UTC") -> Project:
        token = token or new_token()
        if not valid_timezone(timezone):
            raise ValueError(f"{timezone!r} is not an IANA time zone name")
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO projects (name, token, timezone, created_at) VALUES (?, ?, ?, ?)",
                (name, token, timezone, time.time()),
            )
        project = self.by_id(int(cursor.lastrowid or 0))
        assert project is not None
        return project

    def update_project(
        self, project_id: int, *, name: str | None = None, timezone: str | None = None
    ) -> Project:
        """Rename a project or change its time zone (queries use it from the next one on)."""
        if timezone is not None and not valid_timezone(timezone):
            raise ValueError(f"{timezone!r} is not an IANA time zone name")
        with self._lock:
            if name is not None:
                self._conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, project_id))
            if timezone is not None:
                self._conn.execute(
                    "UPDATE projects SET timezone = ? WHERE id = ?", (timezone, project_id)
                )
        self._by_token = {t: p for t, p in self._by_token.items() if p.id != project_id}
        project = self.by_id(project_id)
        assert project is not None
        return project

    def create_api_key(self, project_ids: list[int], label: str, key: str | None = None) -> str:
        key = key or new_api_key()
        digest = hash_key(key)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT OR IGNORE INTO api_keys (key_hash, label, created_at) VALUES (?, ?, ?)",
                (digest, label, time.time()),
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO api_key_projects (key_hash, project_id) VALUES (?, ?)",
                [(digest, pid) for pid in project_ids],
            )
            self._conn.execute("COMMIT")
        return key

    def projects_for_key(self, key: str) -> set[int] | None:
        """The project ids a key may see, or None when the key is unknown."""
        digest = hash_key(key)
        with self._lock:
            known = self._conn.execute(
                "SELECT 1 FROM api_keys WHERE key_hash = ?", (digest,)
            ).fetchone()
            if not known:
                return None
            rows = self._conn.execute(
                "SELECT project_id FROM api_key_projects WHERE key_hash = ?", (digest,)
            ).fetchall()
        return {int(r[0]) for r in rows}

    def bootstrap(self, token: str, api_key: str) -> tuple[Project, str | None]:
        """Create project 1 and a key on first start. Returns the project and the new key
        (None when the instance already existed and no key was fixed by settings)."""
        existing = self.by_id(1)
        if existing is None:
            project = self.create_project("Default project", token or None)
            return project, self.create_api_key([project.id], "first start", api_key or None)
        if api_key:
            self.create_api_key([existing.id], "from HEDGEROW_API_KEY", api_key)
            return existing, api_key
        return existing, None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
