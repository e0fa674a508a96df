"""The audit log: who signed in, made or revoked users and keys, changed projects and actions,
erased persons or exported events, and when; in the `audit_log` table of `meta.sqlite3` (or
of PostgreSQL: `hedgerow.app_tables`), apart from the events (erasure and retention never
touch it).

An entry is written once and never changed: triggers refuse UPDATE and DELETE (on
PostgreSQL TRUNCATE too). It names its
actor as it was at that moment (a user's id and email, a personal key's id and label, or
`cli` / `system`), the organization and, for project matters, the project. Callers put no
secret in `detail` (no password, key value or session id) and no erased person's properties.
The HTTP side is `hedgerow.api.activity_log`; docs/data-lifecycle.md says what is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from hedgerow.app_tables.connection import connect_app_tables
from hedgerow.projects import DEFAULT_ORGANIZATION

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables

# `anonymous`: a failed sign-in (its name is the email tried).
ActorKind = Literal["user", "key", "cli", "system", "anonymous"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id INTEGER,
    actor_name TEXT NOT NULL DEFAULT '',
    organization_id INTEGER NOT NULL,
    project_id INTEGER,
    activity TEXT NOT NULL,
    scope TEXT NOT NULL,
    item_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_log_project ON audit_log (project_id, id);
CREATE INDEX IF NOT EXISTS audit_log_organization ON audit_log (organization_id, id);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log entries are never changed'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log entries are never deleted'); END;
"""
_COLUMNS = (
    "id, created_at, actor_kind, actor_id, actor_name, organization_id, project_id,"
    " activity, scope, item_id, detail"
)


@dataclass(frozen=True)
class Actor:
    """Who did something: a user (id, email), a personal key (id, label), `cli` or `system`."""

    kind: ActorKind
    id: int | None = None
    name: str = ""

    @staticmethod
    def user(user_id: int, email: str) -> Actor:
        return Actor("user", user_id, email)

    @staticmethod
    def key(key_id: int, label: str) -> Actor:
        return Actor("key", key_id, label)


CLI = Actor("cli")
SYSTEM = Actor("system")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    created_at: float
    actor: Actor
    organization_id: int
    project_id: int | None
    activity: str
    scope: str
    item_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    entry_id, created_at, kind, actor_id, name, org, project, activity, scope, item, detail = row
    actor = Actor(kind, actor_id, name)
    return AuditEntry(
        entry_id, created_at, actor, org, project, activity, scope, item, json.loads(detail)
    )


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields whose value differs, as `{"field", "before", "after"}`, in `after`'s order."""
    return [
        {"field": name, "before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value
    ]


class AuditLog:
    def __init__(self, where: AppTables, clock: Callable[[], float] = time.time) -> None:
        self._conn = connect_app_tables(where, _SCHEMA)
        self._lock = threading.Lock()
        self._clock = clock

    def record(
        self,
        actor: Actor,
        activity: str,
        scope: str,
        item_id: object = None,
        *,
        project_id: int | None = None,
        organization_id: int = DEFAULT_ORGANIZATION,
        **detail: Any,
    ) -> AuditEntry:
        """Append one entry (`detail` holds the rest: never a secret)."""
        item = None if item_id is None else str(item_id)
        text = json.dumps(detail, default=str)
        now = self._clock()
        with self._lock:
            [(entry_id,)] = self._conn.execute(
                f"INSERT INTO audit_log ({_COLUMNS.split(', ', 1)[1]})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    now,
                    actor.kind,
                    actor.id,
                    actor.name,
                    organization_id,
                    project_id,
                    activity,
                    scope,
                    item,
                    text,
                ),
            ).rows
        return AuditEntry(
            int(entry_id), now, actor, organization_id, project_id, activity, scope, item, detail
        )

    def of_project(self, project_id: int, limit: int, offset: int) -> list[AuditEntry]:
        """The project's entries, newest first."""
        return self._select("project_id = ?", project_id, limit, offset)

    def of_organization(self, organization_id: int, limit: int, offset: int) -> list[AuditEntry]:
        """Every entry of the organization (its projects' too), newest first."""
        return self._select("organization_id = ?", organization_id, limit, offset)

    def _select(self, where: str, arg: int, limit: int, offset: int) -> list[AuditEntry]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                (arg, limit, offset),
            ).fetchall()
        return [_entry(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
