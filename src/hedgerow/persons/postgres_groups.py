"""Groups on PostgreSQL (with `--persons-url`), for several ingestion workers at once.

Nothing is read and written back, so no worker can overwrite another's change: a batch
keeps, per group, the properties its events `$set` and the earliest time seen, and merges
them into the stored row when it commits (`properties || changes`, `least(created_at)`), in
the order of the groups' keys so that two batches never wait for each other in a cycle.
A new group type takes the lowest free index in a short statement of its own, committed at
once; when another worker took that index first, the next free one is tried.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from hedgerow.persons.groups import MAX_GROUP_TYPES, Group, GroupId
from hedgerow.persons.postgres_schema import COMPONENT, MIGRATIONS
from hedgerow.postgres import migrate, open_pool


class PostgresGroupStore:
    def __init__(self, url: str, pool_size: int = 2) -> None:
        self._pool = open_pool(url, pool_size, "hedgerow-groups")
        migrate(self._pool, COMPONENT, MIGRATIONS)
        self._lock = threading.RLock()
        self._types: dict[int, dict[str, int]] = {}  # per project; a type's index never changes
        self._changes: dict[GroupId, Group] = {}  # this batch's $set and earliest time
        self._stored: dict[GroupId, Group | None] = {}  # rows as read in this batch

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            try:
                yield
                self._flush()
            finally:
                self._changes.clear()
                self._stored.clear()

    def _flush(self) -> None:
        if not self._changes:
            return
        changes = [self._changes[key] for key in sorted(self._changes)]
        columns = [
            [g.team_id for g in changes],
            [g.group_type_index for g in changes],
            [g.group_key for g in changes],
            [orjson.dumps(g.properties).decode() for g in changes],
            [g.created_at for g in changes],
        ]
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO groups AS g (team_id, group_type_index, group_key, properties, "
                "created_at) SELECT t, i, k, p::jsonb, c FROM unnest(%s::integer[], "
                "%s::integer[], %s::text[], %s::text[], %s::text[]) AS u(t, i, k, p, c) "
                "ON CONFLICT (team_id, group_type_index, group_key) DO UPDATE SET "
                "properties = g.properties || excluded.properties, "
                "created_at = least(g.created_at, excluded.created_at), "
                "version = g.version + CASE WHEN g.properties @> excluded.properties "
                "AND g.created_at <= excluded.created_at THEN 0 ELSE 1 END",
                columns,
            )

    def _team_types(self, team_id: int) -> dict[str, int]:
        known = self._types.get(team_id)
        if known is None:
            known = self._types[team_id] = self._read_types(team_id)
        return known

    def _read_types(self, team_id: int) -> dict[str, int]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT group_type, group_type_index FROM group_types WHERE team_id = %s "
                "ORDER BY group_type_index",
                (team_id,),
            ).fetchall()
        return {str(t): int(i) for t, i in rows}

    def type_index(self, team_id: int, group_type: str, create: bool) -> int | None:
        with self._lock:
            known = self._team_types(team_id)
            if group_type in known or not create:
                return known.get(group_type)
            for _ in range(MAX_GROUP_TYPES + 1):
                free = sorted(set(range(MAX_GROUP_TYPES)) - set(known.values()))
                if not free:
                    return None
                with self._pool.connection() as conn:
                    conn.execute(
                        "INSERT INTO group_types (team_id, group_type, group_type_index) "
                        "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                        (team_id, group_type, free[0]),
                    )
                known = self._types[team_id] = self._read_types(team_id)
                if group_type in known:
                    return known[group_type]
            return None

    def upsert(
        self,
        team_id: int,
        index: int,
        key: str,
        set_properties: dict[str, Any],
        created_at: str,
    ) -> Group:
        """Record the change; the group as it will be (the stored row as this batch read
        it, with the batch's changes)."""
        group_id = (team_id, index, key)
        with self._lock:
            change = self._changes.get(group_id)
            if change is None:
                change = self._changes[group_id] = Group(team_id, index, key, {}, created_at)
            change.properties.update(set_properties)
            change.created_at = min(change.created_at, created_at)
            if group_id not in self._stored:
                self._stored[group_id] = self.get(team_id, index, key)
            stored = self._stored[group_id]
            if stored is None:
                return Group(team_id, index, key, dict(change.properties), change.created_at)
            merged = {**stored.properties, **change.properties}
            changed = merged != stored.properties or change.created_at < stored.created_at
            created = min(stored.created_at, change.created_at)
            return Group(team_id, index, key, merged, created, stored.version + int(changed))

    def get(self, team_id: int, index: int, key: str) -> Group | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT properties, created_at, version FROM groups "
                "WHERE team_id = %s AND group_type_index = %s AND group_key = %s",
                (team_id, index, key),
            ).fetchone()
        if row is None:
            return None
        properties, created_at, version = row
        return Group(team_id, index, key, properties, created_at, int(version))

    def types(self, team_id: int) -> dict[str, int]:
        return self._read_types(team_id)

    def close(self) -> None:
        self._pool.close()
