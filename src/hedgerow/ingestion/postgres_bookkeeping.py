"""The bookkeeping every ingestion worker shares (`bookkeeping.py`), on PostgreSQL beside the
persons: used when the intake is a JetStream stream and persons are on PostgreSQL, which is
what several workers need.

Why PostgreSQL, and not the stream (the other design weighed: a partition's committed offset
held back at its oldest buffered event, so that the next owner reads it again and buffers it
again): the stream would then keep handled entries, which the `queued` count and the
`intake_full` limit would have to tell apart from waiting ones, every rebalance would read
the held-back stretch again, and an event read again after its distinct id got a person
would no longer be held (stored before its due time). A row in PostgreSQL keeps its due
time, its partition and its order as they were decided once, survives a restart of every
process, and costs one short transaction per batch (`record_batch`). The counts and warnings
go beside it for the same reason: any process asked (`web`, `serve`) reads every worker's.

- `ingestion_buffer`: one row per held event (unique per project and uuid), with the intake
  partition it came from; a worker releases the due rows of the partitions it holds. Each
  time a row is taken for a batch its `attempts` grows: a row taken again (its batch failed,
  or its worker died before deleting it) may be stored already, so its uuid is looked up in
  the event store first (`Released.again`).
- `ingestion_outcomes`: counts per project, outcome and reason, added to in key order (two
  workers' transactions never wait for each other in a cycle).
- `ingestion_warnings`: one row per warning.

A batch's rows are written in one transaction before the worker records the batch done and
commits its intake offset; a worker killed in between has its batch read again by the next
owner of its partitions, whose held events are then found already held (`held_already`)
and skipped, and whose stored ones are looked up in the event store. Counts are not
deduplicated: such a batch is counted received twice (its stored events then as
`duplicate_event` discards).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson

from hedgerow.ingestion.bookkeeping import Buffered, BufferIndexRows, Released
from hedgerow.ingestion.pipeline import Warning
from hedgerow.intake.partitions import partition_of
from hedgerow.postgres import Migration, migrate, open_pool

if TYPE_CHECKING:
    from hedgerow.ingestion.state import IngestionState

log = logging.getLogger(__name__)

COMPONENT = "ingestion"
CHUNK = 500

MIGRATIONS = [
    Migration(
        1,
        """
CREATE TABLE ingestion_buffer (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partition integer NOT NULL,
    team_id integer NOT NULL,
    uuid text NOT NULL,
    distinct_id text NOT NULL,
    release_at double precision NOT NULL,
    buffered_at double precision NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    record bytea NOT NULL,
    UNIQUE (team_id, uuid)
);
CREATE INDEX ingestion_buffer_due ON ingestion_buffer (partition, release_at, id);
CREATE INDEX ingestion_buffer_by_id ON ingestion_buffer (team_id, distinct_id);
CREATE TABLE ingestion_outcomes (
    team_id integer NOT NULL,
    outcome text NOT NULL,
    reason text NOT NULL DEFAULT '',
    count bigint NOT NULL,
    PRIMARY KEY (team_id, outcome, reason)
);
CREATE TABLE ingestion_warnings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id integer NOT NULL,
    type text NOT NULL,
    event_uuid text NOT NULL,
    details text NOT NULL,
    created_at double precision NOT NULL
);
CREATE INDEX ingestion_warnings_by_team ON ingestion_warnings (team_id, id);
CREATE INDEX ingestion_warnings_by_team_type ON ingestion_warnings (team_id, type, created_at);
""",
    ),
]


class PostgresBookkeeping:
    def __init__(self, url: str, pool_size: int = 2) -> None:
        self._pool = open_pool(url, pool_size, "hedgerow-ingestion")
        migrate(self._pool, COMPONENT, MIGRATIONS)

    def _rows(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._pool.connection() as conn:
            return conn.execute(sql, args).fetchall()

    # -- the event buffer ----------------------------------------------------------------

    def due(
        self,
        now: float,
        limit: int,
        exclude: Sequence[int] = (),
        partitions: Collection[int] | None = None,
    ) -> list[Released]:
        if partitions is not None and not partitions:
            return []
        rows = self._rows(
            "UPDATE ingestion_buffer SET attempts = attempts + 1 WHERE id IN ("
            "SELECT id FROM ingestion_buffer WHERE release_at <= %s AND id <> ALL(%s::bigint[]) "
            "AND (%s::integer[] IS NULL OR partition = ANY(%s::integer[])) "
            "ORDER BY release_at, id LIMIT %s) "
            "RETURNING id, team_id, record, attempts, release_at",
            (now, list(exclude), _array(partitions), _array(partitions), limit),
        )
        rows.sort(key=lambda r: (r[4], r[0]))  # RETURNING keeps no order
        return [Released(int(r[0]), int(r[1]), bytes(r[2]), int(r[3]) > 1) for r in rows]

    def held_already(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        found: set[tuple[int, str]] = set()
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            rows = self._rows(
                "SELECT b.team_id, b.uuid FROM ingestion_buffer b JOIN unnest(%s::integer[], "
                "%s::text[]) AS k(t, u) ON b.team_id = k.t AND b.uuid = k.u",
                ([t for t, _ in chunk], [u for _, u in chunk]),
            )
            found.update((int(t), str(u)) for t, u in rows)
        return found

    def buffer_index(self, partitions: Collection[int] | None = None) -> BufferIndexRows:
        rows = self._rows(
            "SELECT team_id, distinct_id, count(*), max(release_at) FROM ingestion_buffer "
            "WHERE %s::integer[] IS NULL OR partition = ANY(%s::integer[]) "
            "GROUP BY team_id, distinct_id",
            (_array(partitions), _array(partitions)),
        )
        return {(int(t), str(d)): (int(n), float(r)) for t, d, n, r in rows}

    def buffer_status(self, team_id: int) -> tuple[int, float | None, float | None]:
        count, oldest, next_due = self._rows(
            "SELECT count(*), min(buffered_at), min(release_at) FROM ingestion_buffer "
            "WHERE team_id = %s",
            (team_id,),
        )[0]
        return int(count), oldest, next_due

    # -- a batch's record ----------------------------------------------------------------

    def record_batch(
        self,
        counts: Counter[tuple[int, str, str]],
        warnings: Sequence[Warning],
        *,
        buffered: Sequence[Buffered] = (),
        released: Sequence[int] = (),
    ) -> None:
        """Add a batch's counts and warnings, hold its delayed events and let go of those it
        released, in one transaction."""
        if not (counts or warnings or buffered or released):
            return
        now = time.time()
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            if buffered:
                cursor.executemany(
                    "INSERT INTO ingestion_buffer (partition, team_id, uuid, distinct_id, "
                    "release_at, buffered_at, record) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (team_id, uuid) DO NOTHING",
                    [
                        (b.partition, b.team_id, b.uuid, b.distinct_id, b.release_at, now, b.record)
                        for b in buffered
                    ],
                )
            if released:
                cursor.execute(
                    "DELETE FROM ingestion_buffer WHERE id = ANY(%s::bigint[])", (list(released),)
                )
            if warnings:
                cursor.executemany(
                    "INSERT INTO ingestion_warnings (team_id, type, event_uuid, details, "
                    "created_at) VALUES (%s, %s, %s, %s, %s)",
                    [
                        (w.team_id, w.type, w.event_uuid, orjson.dumps(w.details).decode(), now)
                        for w in warnings
                    ],
                )
            if counts:  # in key order: see the module's docstring
                cursor.executemany(
                    "INSERT INTO ingestion_outcomes (team_id, outcome, reason, count) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (team_id, outcome, reason) "
                    "DO UPDATE SET count = ingestion_outcomes.count + excluded.count",
                    [(t, o, r, n) for (t, o, r), n in sorted(counts.items())],
                )

    def erase(
        self,
        team_id: int,
        distinct_ids: Sequence[str],
        event_uuids: Sequence[str] = (),
        *,
        drop_buffered: bool = True,
    ) -> int:
        dropped = 0
        with self._pool.connection() as conn, conn.transaction():
            if drop_buffered and distinct_ids:
                dropped = conn.execute(
                    "DELETE FROM ingestion_buffer WHERE team_id = %s "
                    "AND distinct_id = ANY(%s::text[])",
                    (team_id, list(distinct_ids)),
                ).rowcount
            for did in distinct_ids:  # a warning's details hold ids as JSON strings
                conn.execute(
                    "DELETE FROM ingestion_warnings WHERE team_id = %s AND strpos(details, %s) > 0",
                    (team_id, orjson.dumps(did).decode()),
                )
            if event_uuids:
                conn.execute(
                    "DELETE FROM ingestion_warnings WHERE team_id = %s "
                    "AND event_uuid = ANY(%s::text[])",
                    (team_id, list(event_uuids)),
                )
        return dropped

    # -- what the API reads ----------------------------------------------------------------

    def outcomes(self, team_id: int) -> dict[str, Any]:
        rows = self._rows(
            "SELECT outcome, reason, count FROM ingestion_outcomes WHERE team_id = %s",
            (team_id,),
        )
        result: dict[str, Any] = {"received": 0, "stored": 0, "discarded": {}}
        for outcome, reason, count in rows:
            if outcome == "discarded":
                result["discarded"][reason] = int(count)
            else:
                result[outcome] = int(count)
        return result

    def warnings(
        self, team_id: int, limit: int, offset: int, type: str | None = None
    ) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT id, type, event_uuid, details, created_at FROM ingestion_warnings "
            "WHERE team_id = %s AND (%s::text IS NULL OR type = %s) "
            "ORDER BY id DESC LIMIT %s OFFSET %s",
            (team_id, type, type, limit, offset),
        )
        return [
            {
                "id": int(r[0]),
                "type": r[1],
                "event_uuid": r[2],
                "details": orjson.loads(r[3]),
                "timestamp": float(r[4]),
            }
            for r in rows
        ]

    def warning_totals(self, team_id: int) -> list[tuple[str, int, float]]:
        rows = self._rows(
            "SELECT type, count(*), max(created_at) FROM ingestion_warnings WHERE team_id = %s "
            "GROUP BY type",
            (team_id,),
        )
        return [(str(t), int(n), float(last)) for t, n, last in rows]

    def warning_buckets(
        self, team_id: int, since: float, bucket_seconds: int
    ) -> list[tuple[str, float, int]]:
        rows = self._rows(
            "SELECT type, floor(created_at / %s) AS bucket, count(*) FROM ingestion_warnings "
            "WHERE team_id = %s AND created_at >= %s GROUP BY type, bucket",
            (bucket_seconds, team_id, since),
        )
        return [(str(t), float(b) * bucket_seconds, int(n)) for t, b, n in rows]

    def close(self) -> None:
        self._pool.close()


def adopt_local_buffer(state: IngestionState, shared: PostgresBookkeeping, partitions: int) -> int:
    """Move events a worker of an earlier version held back in its `ingestion.sqlite3` into
    the shared buffer, each with its partition, so that they are not stranded there; return
    how many. They are written there before they leave the file (a crash in between leaves
    them in both: the next start writes them again, which changes nothing)."""
    local = state.buffered_events()
    if local:
        shared.record_batch(
            Counter(),
            [],
            buffered=[
                replace(b, partition=partition_of(b.team_id, b.distinct_id, partitions))
                for b in local
            ],
        )
        state.forget_buffered()
        log.info("moved %d held-back events into the shared event buffer", len(local))
    return len(local)


def _array(partitions: Collection[int] | None) -> list[int] | None:
    return None if partitions is None else sorted(partitions)
