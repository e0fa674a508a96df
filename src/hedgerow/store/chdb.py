"""The embedded event store: ClickHouse in-process through chDB.

Only one process may open a chDB data directory; the server that owns it runs both
ingestion and queries. Each thread gets its own connection. Inserts go in as Arrow tables,
one insert per ingestion batch, with a deduplication token so that a replayed batch is
stored once.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import chdb
import orjson
import pyarrow as pa

from hedgerow.ingestion.event import IngestEvent
from hedgerow.store.events import QueryResult
from hedgerow.store.schema import (
    DATABASE,
    events_ddl,
    materialized_column,
    materialized_ddl,
    quote_identifier,
)

_MAT_PREFIX = "mat_"


class ChdbEventStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._conn().query(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        self._conn().query(events_ddl())
        self._materialized = self._load_materialized()

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = chdb.connect(str(self.path))  # type: ignore[no-untyped-call]
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def insert(self, events: Sequence[IngestEvent], dedup_token: str) -> None:
        if not events:
            return
        dumps = orjson.dumps
        table = pa.table(  # noqa: F841 - read by name by chDB's Python() table function
            {
                "uuid": [e.uuid for e in events],
                "team_id": pa.array([e.team_id for e in events], pa.int64()),
                "event": [e.event for e in events],
                "distinct_id": [e.distinct_id for e in events],
                "timestamp": [e.timestamp for e in events],
                "created_at": [e.now for e in events],
                "properties": [dumps(e.properties).decode() for e in events],
                "elements_chain": [e.elements_chain for e in events],
                "person_id": [e.person_id for e in events],
                "person_properties": [dumps(e.person_properties).decode() for e in events],
                "person_created_at": [e.person_created_at for e in events],
                "person_mode": [e.person_mode for e in events],
                "group_0": [e.groups[0] for e in events],
                "group_1": [e.groups[1] for e in events],
                "group_2": [e.groups[2] for e in events],
                "group_3": [e.groups[3] for e in events],
                "group_4": [e.groups[4] for e in events],
            }
        )
        token = re.sub(r"[^A-Za-z0-9_.-]", "_", dedup_token)
        self._conn().query(
            f"INSERT INTO {DATABASE}.events (uuid, team_id, event, distinct_id, timestamp, "
            "created_at, properties, elements_chain, person_id, person_properties, "
            "person_created_at, person_mode, `$group_0`, `$group_1`, `$group_2`, `$group_3`, "
            f"`$group_4`) SETTINGS insert_deduplication_token = '{token}', "
            "insert_deduplicate = 1 "
            "SELECT uuid, team_id, event, distinct_id, timestamp, created_at, properties, "
            "elements_chain, person_id, person_properties, person_created_at, person_mode, "
            "group_0, group_1, group_2, group_3, group_4 FROM Python(table)"
        )

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        result = self._conn().query(sql, "JSONCompact", params=dict(params or {}))
        raw = result.bytes()
        if not raw:
            return QueryResult([], [], [])
        parsed = orjson.loads(raw)
        meta = parsed.get("meta", [])
        return QueryResult(
            columns=[m["name"] for m in meta],
            types=[m["type"] for m in meta],
            rows=parsed.get("data", []),
        )

    def _load_materialized(self) -> dict[str, str]:
        result = self.query(
            "SELECT name FROM system.columns WHERE database = {db:String} AND "
            "table = 'events' AND default_kind = 'MATERIALIZED' AND startsWith(name, 'mat_')",
            {"db": DATABASE},
        )
        return {row[0][len(_MAT_PREFIX) :]: row[0] for row in result.rows}

    def materialize(self, key: str) -> str:
        column = materialized_column(key)
        if key not in self._materialized:
            self._conn().query(
                f"ALTER TABLE {DATABASE}.events ADD COLUMN IF NOT EXISTS {materialized_ddl(key)}"
            )
            self._materialized[key] = column
        return column

    def materialized_columns(self) -> dict[str, str]:
        return dict(self._materialized)

    def healthy(self) -> bool:
        try:
            return self.query("SELECT 1").rows == [[1]]
        except Exception:
            return False

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(Exception):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()


__all__ = ["ChdbEventStore", "quote_identifier"]
