"""Organizations, projects and personal API keys, kept in `meta.sqlite3` in the data directory
(or on PostgreSQL with `--persons-url`: `hedgerow.app_tables`).

A project has a public token (what SDKs send) and an id (what the API uses), and belongs to
one organization ("Default organization", id 1, made at first open). A personal API key is
stored only as its SHA-256 and may see a list of projects, or (a key made in the web app)
every project of its organization, now and later; a revoked key keeps its row (so ids are
never reused) and opens nothing. Other processes (the `hedgerow project` and `hedgerow users`
commands) may add rows while the server runs; lookups that miss the cache read the database
again. Files written by an older version are upgraded when opened (`_upgrade`; PostgreSQL's
tables come from migrations).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

from hedgerow.app_tables.connection import AppConnection, connect_app_tables

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables

DEFAULT_ORGANIZATION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_at REAL NOT NULL
);
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
# Columns added after the first release, with their definitions: `_upgrade` adds the ones an
# older file lacks (projects made before organizations belong to the default one).
_ADDED_COLUMNS = {
    "projects": {
        "organization_id": f"INTEGER NOT NULL DEFAULT {DEFAULT_ORGANIZATION}",
        "retention_days": "INTEGER",  # NULL: events are kept for ever
        "redacted_properties": "TEXT NOT NULL DEFAULT '[]'",  # a JSON list of keys
        # a JSON list of {"regex", "alias"}: web analytics' path cleaning rules, in order
        "path_cleaning_filters": "TEXT NOT NULL DEFAULT '[]'",
        "anonymize_ips": "INTEGER NOT NULL DEFAULT 0",  # 1: `$ip` dropped after GeoIP
        # 0 off, 1 stateless, 2 stateful (docs/web-analytics.md#cookieless-counting)
        "cookieless_server_hash_mode": "INTEGER NOT NULL DEFAULT 0",
    },
    "api_keys": {
        "organization_id": "INTEGER",  # set: the key sees every project of the organization
        "user_id": "INTEGER",  # set: made by this user in the web app (listed there)
        "mask": "TEXT NOT NULL DEFAULT ''",
        "revoked_at": "REAL",
    },
}
_PROJECT_COLUMNS = (
    "id, name, token, timezone, created_at, organization_id, retention_days, redacted_properties, "
    "path_cleaning_filters, anonymize_ips, cookieless_server_hash_mode"
)


def _upgrade(conn: AppConnection) -> None:
    """Add the columns and the default organization an older `meta.sqlite3` lacks."""
    with conn.transaction() as tx:  # another process may be upgrading the same file
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in tx.execute(f"PRAGMA table_info({table})")}
            for name, definition in columns.items():
                if name not in present:
                    tx.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")
        tx.execute(
            "INSERT OR IGNORE INTO organizations (id, name, created_at) VALUES (?, ?, ?)",
            (DEFAULT_ORGANIZATION, "Default organization", time.time()),
        )


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    token: str
    timezone: str
    created_at: float
    organization_id: int = DEFAULT_ORGANIZATION
    retention_days: int | None = None  # events older than this many days are deleted
    redacted_properties: tuple[str, ...] = ()  # removed from events and persons at ingestion
    # (regex, alias) rules that rewrite paths in web analytics, applied in order
    path_cleaning_filters: tuple[tuple[str, str], ...] = ()
    anonymize_ips: bool = False  # "discard client IP data": `$ip` dropped after GeoIP
    cookieless_server_hash_mode: int = 0  # 0 off, 1 stateless, 2 stateful


def _project_of(row: tuple[Any, ...]) -> Project:
    pid, name, token, timezone, created_at, organization_id, retention_days, redacted = row[:8]
    keys = tuple(str(k) for k in json.loads(redacted or "[]"))
    rules = tuple((str(r["regex"]), str(r.get("alias") or "")) for r in json.loads(row[8] or "[]"))
    return Project(
        pid,
        name,
        token,
        timezone,
        created_at,
        organization_id,
        retention_days,
        keys,
        rules,
        bool(row[9]),
        int(row[10]),
    )


# `update_project`'s "not given" (None is a value for `retention_days`: keep for ever).
UNCHANGED: Any = object()


@dataclass(frozen=True)
class Organization:
    id: int
    name: str


@dataclass(frozen=True)
class KeyAccess:
    """What a personal API key opens: its projects, and the organization it acts in."""

    key_hash: str
    projects: set[int]
    organization_id: int
    key_id: int = 0  # the key's row, and its label: how the audit log names it
    label: str = ""
    whole_organization: bool = False  # made in the web app: every project, now and later


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


def key_mask(key: str) -> str:
    """What the web app shows of a key: its first 8 characters (`phx_abcd...`)."""
    return key[:8] + "..."


class ProjectCatalog:
    def __init__(self, where: AppTables) -> None:
        self._conn = connect_app_tables(where, _SCHEMA)
        if self._conn.dialect == "sqlite":
            _upgrade(self._conn)
        self._lock = threading.Lock()
        self._by_token: dict[str, Project] = {}

    def _project(self, where: str, arg: object) -> Project | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE {where} = ?",
                (arg,),
            ).fetchone()
        return _project_of(row) if row else None

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
                f"SELECT {_PROJECT_COLUMNS} FROM projects ORDER BY id"
            ).fetchall()
        return [_project_of(row) for row in rows]

    def in_organization(self, organization_id: int) -> list[Project]:
        return [p for p in self.all() if p.organization_id == organization_id]

    def organization(self, organization_id: int) -> Organization | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, name FROM organizations WHERE id = ?", (organization_id,)
            ).fetchone()
        return Organization(*row) if row else None

    def create_project(
        self,
        name: str,
        token: str | None = None,
        timezone: str = "UTC",
        organization_id: int = DEFAULT_ORGANIZATION,
    ) -> Project:
        token = token or new_token()
        if not valid_timezone(timezone):
            raise ValueError(f"{timezone!r} is not an IANA time zone name")
        with self._lock:
            [(project_id,)] = self._conn.execute(
                "INSERT INTO projects (name, token, timezone, created_at, organization_id)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (name, token, timezone, time.time(), organization_id),
            ).rows
        project = self.by_id(int(project_id))
        assert project is not None
        return project

    def update_project(
        self,
        project_id: int,
        *,
        name: str | None = None,
        timezone: str | None = None,
        retention_days: int | None = UNCHANGED,
        redacted_properties: list[str] | None = None,
        path_cleaning_filters: list[tuple[str, str]] | None = None,
        anonymize_ips: bool | None = None,
        cookieless_server_hash_mode: int | None = None,
    ) -> Project:
        """Rename a project, change its time zone (queries use it from the next one on), its
        retention period (None: for ever), the properties redacted at ingestion, its path
        cleaning rules, whether client IPs are discarded after GeoIP, or its cookieless mode."""
        if timezone is not None and not valid_timezone(timezone):
            raise ValueError(f"{timezone!r} is not an IANA time zone name")
        with self._lock:
            if name is not None:
                self._conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, project_id))
            if timezone is not None:
                self._conn.execute(
                    "UPDATE projects SET timezone = ? WHERE id = ?", (timezone, project_id)
                )
            if retention_days is not UNCHANGED:
                self._conn.execute(
                    "UPDATE projects SET retention_days = ? WHERE id = ?",
                    (retention_days, project_id),
                )
            if redacted_properties is not None:
                self._conn.execute(
                    "UPDATE projects SET redacted_properties = ? WHERE id = ?",
                    (json.dumps(redacted_properties), project_id),
                )
            if path_cleaning_filters is not None:
                rules = [{"regex": regex, "alias": alias} for regex, alias in path_cleaning_filters]
                self._conn.execute(
                    "UPDATE projects SET path_cleaning_filters = ? WHERE id = ?",
                    (json.dumps(rules), project_id),
                )
            if anonymize_ips is not None:
                self._conn.execute(
                    "UPDATE projects SET anonymize_ips = ? WHERE id = ?",
                    (bool(anonymize_ips), project_id),
                )
            if cookieless_server_hash_mode is not None:
                self._conn.execute(
                    "UPDATE projects SET cookieless_server_hash_mode = ? WHERE id = ?",
                    (cookieless_server_hash_mode, project_id),
                )
        self._by_token = {t: p for t, p in self._by_token.items() if p.id != project_id}
        project = self.by_id(project_id)
        assert project is not None
        return project

    def create_api_key(self, project_ids: list[int], label: str, key: str | None = None) -> str:
        key = key or new_api_key()
        digest = hash_key(key)
        with self._lock, self._conn.transaction() as tx:
            tx.execute(
                "INSERT INTO api_keys (key_hash, label, created_at, mask) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (digest, label, time.time(), key_mask(key)),
            )
            tx.executemany(
                "INSERT INTO api_key_projects (key_hash, project_id) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                [(digest, pid) for pid in project_ids],
            )
        return key

    def add_project_to_key(self, key_hash: str, project_id: int) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO api_key_projects (key_hash, project_id) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                (key_hash, project_id),
            )

    def projects_for_key(self, key: str) -> set[int] | None:
        """The project ids a key may see, or None when the key is unknown or revoked."""
        access = self.key_access(key)
        return None if access is None else access.projects

    def key_access(self, key: str) -> KeyAccess | None:
        digest = hash_key(key)
        with self._lock:
            known = self._conn.execute(
                "SELECT organization_id, rowid, label FROM api_keys"
                " WHERE key_hash = ? AND revoked_at IS NULL",
                (digest,),
            ).fetchone()
            if not known:
                return None
            rows = self._conn.execute(
                "SELECT p.id, p.organization_id FROM api_key_projects k"
                " JOIN projects p ON p.id = k.project_id WHERE k.key_hash = ? ORDER BY p.id",
                (digest,),
            ).fetchall()
            organization_id = known[0]
            if organization_id is not None:
                rows += self._conn.execute(
                    "SELECT id, organization_id FROM projects WHERE organization_id = ?",
                    (organization_id,),
                ).fetchall()
        if organization_id is None:  # a key for a list of projects acts in the first one's
            organization_id = rows[0][1] if rows else DEFAULT_ORGANIZATION
        projects = {int(r[0]) for r in rows}
        whole = known[0] is not None
        return KeyAccess(digest, projects, int(organization_id), known[1], known[2], whole)

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
