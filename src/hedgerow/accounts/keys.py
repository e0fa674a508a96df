"""The personal API keys a user made in the web app: listed, created, revoked.

They live in the `api_keys` table of `hedgerow.projects` (which authenticates them), marked
with the user and the organization: such a key sees every project of the organization, now
and later. Only the key's SHA-256 and its first characters (the mask) are stored; the value
is shown once, when made. Revoking keeps the row (ids are never reused) and voids the key.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hedgerow.app_tables.connection import connect_app_tables
from hedgerow.projects import hash_key, key_mask, new_api_key

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables


@dataclass(frozen=True)
class PersonalKey:
    id: int
    label: str
    mask: str
    created_at: float


class PersonalKeys:
    def __init__(self, where: AppTables) -> None:
        """Open after `ProjectCatalog`, which creates and upgrades the `api_keys` table."""
        self._conn = connect_app_tables(where, "")
        self._lock = threading.Lock()

    def of_user(self, user_id: int) -> list[PersonalKey]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT rowid, label, mask, created_at FROM api_keys"
                " WHERE user_id = ? AND revoked_at IS NULL ORDER BY rowid",
                (user_id,),
            ).fetchall()
        return [PersonalKey(*row) for row in rows]

    def create(self, user_id: int, organization_id: int, label: str) -> tuple[PersonalKey, str]:
        """A new key for the user's organization: its row and its value (shown once)."""
        value = new_api_key()
        now = time.time()
        with self._lock:
            [(key_id,)] = self._conn.execute(
                "INSERT INTO api_keys (key_hash, label, created_at, mask, user_id, organization_id)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING rowid",
                (hash_key(value), label, now, key_mask(value), user_id, organization_id),
            ).rows
        return PersonalKey(int(key_id), label, key_mask(value), now), value

    def revoke(self, user_id: int, key_id: int) -> bool:
        """Void one of the user's keys; False when they have no such key."""
        with self._lock:
            changed = self._conn.execute(
                "UPDATE api_keys SET revoked_at = ?"
                " WHERE rowid = ? AND user_id = ? AND revoked_at IS NULL",
                (time.time(), key_id, user_id),
            ).rowcount
        return changed > 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()
