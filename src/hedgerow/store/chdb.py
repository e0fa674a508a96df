"""The embedded event store: ClickHouse in-process through chDB.

Only one process may open a chDB data directory; the server that owns it runs both
ingestion and queries. Each thread gets its own connection. Inserts go in as Arrow tables,
one insert per ingestion batch, with a deduplication token so that a replayed batch is
stored once; the batch's sessions are buffered and written every few seconds
(`session_writer.py`).

Reads for the API (`query`) run within the query limits (ClickHouse's `max_execution_time`,
`max_memory_usage`, `max_result_rows` and `max_result_bytes`); the store's own work
(inserts, squashing, upgrades) runs without them.

A failed statement must be cleaned up after. chDB (4.4) writes a statement's output into a
buffer that belongs to the connection and hands the buffer over only when the statement
succeeds; its error path leaves the buffer as it is. ClickHouse starts writing before the
statement is done (the JSON header as soon as execution starts, then every block of rows),
so a statement that fails during execution (a memory or time limit, an error in the middle
of the rows) leaves its partial output behind, and the next statement's output is appended
to it: the next result on that connection would be the failed one's header and rows followed
by its own (invalid JSON here; silently wrong rows in a format like CSV). A statement that
succeeds takes the whole buffer, so after each failure `_execute` runs `SELECT 1` and throws
its result away; if even that fails, the connection is closed and replaced.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import chdb
import orjson
import pyarrow as pa

from hedgerow.event import IngestEvent
from hedgerow.persons.store import MirrorRow, Override
from hedgerow.store.chdb_limits import limit_settings, log_slow_query, query_failed
from hedgerow.store.chdb_schema import create_schema, finish_schema
from hedgerow.store.events import QueryLimits, QueryResult, SettingValue
from hedgerow.store.insert_rows import (
    Statement,
    events_insert,
    events_table,
    mirror_ids_insert,
    mirror_ids_table,
    mirror_persons_insert,
    mirror_persons_table,
    override_map_insert,
    overrides_insert,
    overrides_table,
)
from hedgerow.store.schema import (
    DATABASE,
    INDEX_MAP,
    OVERRIDE_MAP,
    OVERRIDES,
    materialized_column,
    materialized_ddl,
    quote_identifier,
    quote_string,
)
from hedgerow.store.session_writer import FLUSH_SECONDS, SessionWriter
from hedgerow.store.web_daily_schema import days_of, forget_days

log = logging.getLogger(__name__)

_MAT_PREFIX = "mat_"
# Marks a store whose events all carry their person index (`fill_person_indexes`).
_INDEXED = "person_idx"


class ChdbEventStore:
    def __init__(
        self,
        path: Path,
        limits: QueryLimits | None = None,
        *,
        keep_sessions: bool = True,
        sessions_flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        """`keep_sessions=False` inserts events only, leaving the sessions table as it is
        (`bench/sessions_ingest.py` measures what keeping it costs); the sessions buffered
        are written every `sessions_flush_seconds` at most (`session_writer.py`)."""
        self.path = path
        self._lock = threading.Lock()
        self._connections: list[Any] = []  # every open connection, to close them at the end
        self._idle: list[Any] = []  # those no statement is using; the last one used is last
        self._open(limits, keep_sessions, sessions_flush_seconds)

    def _open(
        self,
        limits: QueryLimits | None,
        keep_sessions: bool,
        sessions_flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        """Create or upgrade the schema, once the store can run statements."""
        self.keep_sessions = keep_sessions
        self._limits = limits or QueryLimits()
        self._limit_settings = limit_settings(self._limits)
        create_schema(self._execute)
        self._migrate_distinct_id_overrides()
        finish_schema(self._execute, self._select)
        self.sessions = SessionWriter(
            self._insert, self._execute, self._select, flush_seconds=sessions_flush_seconds
        )
        self._materialized = self._load_materialized()

    def _checkout(self) -> Any:
        """A connection for one statement: the most recently used idle one, or a new one.

        Connections are pooled rather than kept per thread: the API's worker threads come
        and go (anyio ends a worker idle for 10 s), and a connection per thread was never
        closed when its thread ended, so the server gained a connection, and memory, with
        every new worker thread. With the pool there are as many connections as statements
        ever ran at once."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        conn = chdb.connect(str(self.path))  # type: ignore[no-untyped-call]
        with self._lock:
            self._connections.append(conn)
        return conn

    def _checkin(self, conn: Any) -> None:
        with self._lock:
            if conn in self._connections:
                self._idle.append(conn)

    def insert(self, events: Sequence[IngestEvent], dedup_token: str) -> None:
        if not events:
            return
        with self.sessions.lock:  # the events and their sessions' buffering: one step
            self._insert(events_insert(dedup_token), events_table(events))
            if self.keep_sessions:
                self.sessions.add(events)

    def flush_sessions(self) -> None:
        self.sessions.flush()

    def _insert(self, statement: Statement, table: pa.Table) -> None:
        """Run the INSERT ... SELECT that `statement` makes of a table expression reading the
        rows of `table`: here chDB's `Python(table)`, which finds the table by its name among
        the local variables of the calling frames."""
        self._execute(statement("Python(table)"))

    def insert_overrides(self, overrides: Sequence[Override]) -> None:
        if not overrides:
            return
        table = overrides_table(overrides)
        self._insert(overrides_insert, table)  # the durable table first
        self._insert(override_map_insert, table)
        self._reload_index_map()

    def _reload_index_map(self) -> None:
        self._execute(f"SYSTEM RELOAD DICTIONARY {DATABASE}.{INDEX_MAP}")

    def mirror_persons(self, rows: Sequence[MirrorRow]) -> None:
        persons = [r for r in rows if r.kind == "person"]
        ids = [r for r in rows if r.kind == "distinct_id"]
        if persons:
            self._insert(mirror_persons_insert, mirror_persons_table(persons))
        if ids:
            self._insert(mirror_ids_insert, mirror_ids_table(ids))

    def override_count(self, team_id: int) -> int:
        result = self._select(
            f"SELECT uniqExact(old_person_id) FROM {DATABASE}.{OVERRIDES} "
            "WHERE team_id = {team:Int64}",
            {"team": team_id},
        )
        return int(result.rows[0][0])

    def squash_overrides(self, limit: int = 1000) -> int:
        """Rewrite `person_id` on stored events for up to `limit` overrides, then drop those
        overrides (only the versions read: one that changed meanwhile stays). Returns how many
        were squashed."""
        pending = self._select(
            "SELECT team_id, toString(old_person_id), toString(argMax(person_id, version)), "
            f"argMax(person_idx, version), max(version) FROM {DATABASE}.{OVERRIDES} "
            "GROUP BY team_id, old_person_id ORDER BY team_id LIMIT {limit:UInt32}",
            {"limit": limit},
        ).rows
        by_team: dict[int, list[tuple[str, str, int, int]]] = {}
        for team_id, old, person_id, idx, version in pending:
            by_team.setdefault(int(team_id), []).append((old, person_id, int(idx), int(version)))
        for team_id, rows in by_team.items():
            # The web pre-aggregate holds the person indexes it was built with, which the
            # override map turns into the merged ones while the overrides are there. So the
            # days of these persons' events are taken out once the events are rewritten (a
            # build during the rewrite read some former indexes) and before the overrides
            # go: no moment has a listed day with former indexes and no map to read them.
            gone = ", ".join(f"toUUID({quote_string(o)})" for o, _, _, _ in rows)
            days = days_of(self._select, f"team_id = {team_id} AND person_id IN ({gone})")
            self._rewrite(
                team_id, "person_id", [(o, p) for o, p, _, _ in rows], [i for _, _, i, _ in rows]
            )
            if days:
                forget_days(self._select, team_id, *days)
            # Every version up to the one applied goes; a newer one (written meanwhile) stays.
            olds = ", ".join(quote_string(o) for o, _, _, _ in rows)
            versions = ", ".join(str(v) for _, _, _, v in rows)
            applied = (
                f"team_id = {team_id} AND version <= "
                f"transform(toString(old_person_id), [{olds}], [{versions}], toInt64(-1))"
            )
            self._execute(f"DELETE FROM {DATABASE}.{OVERRIDES} WHERE {applied}")
            self._execute(
                f"ALTER TABLE {DATABASE}.{OVERRIDE_MAP} DELETE WHERE {applied} "
                "SETTINGS mutations_sync = 2"
            )
        if pending:
            self._reload_index_map()
        return len(pending)

    def _rewrite(
        self,
        team_id: int,
        column: str,
        pairs: Sequence[tuple[str, str]],
        indexes: Sequence[int] = (),
    ) -> None:
        """Set `person_id` of the project's events whose `column` (`person_id` or
        `distinct_id`) holds a pair's first item to the pair's person id (and `person_idx`
        to the matching index, when given), and wait for it."""
        by_uuid = column == "person_id"
        text = "toString(person_id)" if by_uuid else column
        keys = ", ".join(quote_string(k) for k, _ in pairs)
        matches = ", ".join(f"toUUID({quote_string(k)})" for k, _ in pairs) if by_uuid else keys
        people = ", ".join(quote_string(p) for _, p in pairs)
        updates = [
            f"person_id = toUUID(transform({text}, [{keys}], [{people}], toString(person_id)))"
        ]
        if indexes:
            idxs = ", ".join(str(int(i)) for i in indexes)
            updates.append(
                f"person_idx = transform({text}, [{keys}], CAST([{idxs}] AS Array(UInt64)), "
                "person_idx)"
            )
        self._execute(
            f"ALTER TABLE {DATABASE}.events UPDATE {', '.join(updates)} "
            f"WHERE team_id = {int(team_id)} AND {column} IN ({matches}) "
            "SETTINGS mutations_sync = 2"
        )

    def run(self, sql: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        """The store's own work (`store/deletes.py`): SQL without the API's query limits."""
        return self._select(sql, params)

    def reload_index_map(self) -> None:
        self._reload_index_map()

    def unindexed_person_ids(self) -> list[str]:
        """Person ids stored (on events or overrides) without their person index: rows
        written before person indexes existed. Empty once `fill_person_indexes` has run."""
        done = self._select(
            f"SELECT count() FROM {DATABASE}.migrations WHERE name = {quote_string(_INDEXED)}"
        ).rows
        if int(done[0][0]):
            return []
        rows = self._select(
            f"SELECT DISTINCT toString(person_id) FROM {DATABASE}.events WHERE person_idx = 0 "
            f"UNION DISTINCT SELECT toString(old_person_id) FROM {DATABASE}.{OVERRIDES} "
            f"WHERE old_person_idx = 0 UNION DISTINCT SELECT toString(person_id) "
            f"FROM {DATABASE}.{OVERRIDES} WHERE person_idx = 0"
        ).rows
        if not rows:
            self._mark_indexed()
        return [str(row[0]) for row in rows]

    def _mark_indexed(self) -> None:
        self._execute(f"INSERT INTO {DATABASE}.migrations VALUES ({quote_string(_INDEXED)})")

    def fill_person_indexes(self, indexes: Mapping[str, int]) -> None:
        """Write each stored row's person index (events, then overrides) from `indexes`
        (person id -> index), waiting for the rewrite, and mark the store done."""
        fill = f"{DATABASE}.person_index_fill"
        self._execute(f"DROP TABLE IF EXISTS {fill}")
        self._execute(
            f"CREATE TABLE {fill} (person_id UUID, idx UInt64) ENGINE = Join(ANY, LEFT, person_id)"
        )
        table = pa.table(
            {
                "person_id": list(indexes),
                "idx": pa.array(list(indexes.values()), pa.uint64()),
            }
        )
        self._insert(
            lambda source: f"INSERT INTO {fill} SELECT person_id, idx FROM {source}", table
        )
        get = f"joinGetOrNull('{fill}', 'idx', {{}})"
        self._execute(
            f"ALTER TABLE {DATABASE}.events UPDATE person_idx = "
            f"ifNull({get.format('person_id')}, 0) WHERE person_idx = 0 "
            "SETTINGS mutations_sync = 2"
        )
        self._execute(
            f"ALTER TABLE {DATABASE}.{OVERRIDES} UPDATE "
            f"old_person_idx = ifNull({get.format('old_person_id')}, 0), "
            f"person_idx = ifNull({get.format('person_id')}, 0) "
            "WHERE old_person_idx = 0 OR person_idx = 0 SETTINGS mutations_sync = 2"
        )
        self._execute(f"DROP TABLE {fill}")
        self._mark_indexed()
        self._reload_index_map()

    def rewrite_distinct_ids(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Apply overrides of the former distinct-id format: (project, distinct_id, person)."""
        by_team: dict[int, dict[str, str]] = {}
        for team_id, distinct_id, person_id in rows:
            by_team.setdefault(team_id, {})[distinct_id] = person_id  # the latest wins
        for team_id, mapping in by_team.items():
            items = list(mapping.items())
            for start in range(0, len(items), 1000):
                self._rewrite(team_id, "distinct_id", items[start : start + 1000])

    def _migrate_distinct_id_overrides(self) -> None:
        """Stores written before overrides were keyed by person id kept them by distinct id
        in `person_overrides`: apply those to the events once, then drop the table."""
        legacy = self._select(
            "SELECT count() FROM system.columns WHERE database = {db:String} AND "
            "table = 'person_overrides' AND name = 'distinct_id'",
            {"db": DATABASE},
        ).rows
        if not legacy or not int(legacy[0][0]):
            return
        rows = self._select(
            "SELECT team_id, distinct_id, toString(argMax(person_id, version)) "
            f"FROM {DATABASE}.person_overrides GROUP BY team_id, distinct_id"
        ).rows
        self.rewrite_distinct_ids([(int(t), d, p) for t, d, p in rows])
        self._execute(f"DROP TABLE {DATABASE}.person_overrides")

    def query(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        settings: Mapping[str, SettingValue] | None = None,
    ) -> QueryResult:
        """A read for the API, run within the query limits (`QueryFailed.limit` says which
        one stopped it); one slower than `slow_seconds` is logged."""
        began, statistics = time.monotonic(), dict[str, Any]()
        failed: BaseException | None = None
        try:
            limits = {**self._limit_settings, **(settings or {})}
            return self._select(sql, params, limits, statistics)
        except BaseException as exc:
            failed = exc
            raise
        finally:
            elapsed = time.monotonic() - began
            log_slow_query(log, self._limits, elapsed, sql, statistics, failed)

    def _export_sql(self, sql: str, settings: Mapping[str, SettingValue] | None) -> str:
        """An export's statement: only the memory limit holds (no row, byte or time limit)."""
        limits = {k: v for k, v in self._limit_settings.items() if k == "max_memory_usage"}
        return sql + settings_clause({**limits, **(settings or {})})

    def stream(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        output: str,
        settings: Mapping[str, SettingValue] | None = None,
    ) -> Iterator[bytes]:
        """chDB's streaming query: a block at a time, so an export of any size keeps only a
        block or so in memory. The connection stays checked out until the stream ends."""
        sql = self._export_sql(sql, settings)
        conn = self._checkout()
        result = None
        try:
            result = conn.send_query(sql, output, params=dict(params or {}))
            for chunk in result:
                yield chunk.bytes()
            result = None
        except BaseException as exc:
            if result is not None:  # abandoned (a client went away) or failed: stop the query
                with contextlib.suppress(Exception):
                    result.cancel()
            self._discard_output(conn)
            if isinstance(exc, RuntimeError):
                raise query_failed(str(exc)) from None
            raise
        finally:
            self._checkin(conn)

    def _select(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        settings: Mapping[str, SettingValue] | None = None,
        statistics: dict[str, Any] | None = None,
    ) -> QueryResult:
        sql += settings_clause(settings)
        raw = self._raw(sql, params, "JSONCompact")
        if not raw:
            return QueryResult([], [], [])
        parsed = orjson.loads(raw)
        if statistics is not None:
            statistics.update(parsed.get("statistics", {}))
        meta = parsed.get("meta", [])
        return QueryResult(
            columns=[m["name"] for m in meta],
            types=[m["type"] for m in meta],
            rows=parsed.get("data", []),
        )

    def _raw(self, sql: str, params: Mapping[str, Any] | None, output: str) -> bytes:
        """A statement's whole result in ClickHouse's `output` format."""
        return cast(bytes, self._execute(sql, params, output).bytes())

    def _execute(
        self, sql: str, params: Mapping[str, Any] | None = None, output: str = "CSV"
    ) -> Any:
        """Run one statement on a pooled connection. A failure raises `QueryFailed` and
        leaves the connection clean (the module's docstring says why it must be made so)."""
        conn = self._checkout()
        try:
            return conn.query(sql, output, params=dict(params or {}))
        except BaseException as exc:
            self._discard_output(conn)
            if isinstance(exc, RuntimeError):
                raise query_failed(str(exc)) from None
            raise
        finally:
            self._checkin(conn)

    def _discard_output(self, conn: Any) -> None:
        """Free what a failed statement left in the connection's output buffer: a statement
        that succeeds takes the whole buffer as its result, which is thrown away."""
        try:
            conn.query("SELECT 1", "CSV")
        except Exception:  # the connection is unusable: close it; the pool opens another
            log.warning("a chDB connection did not recover after an error; replacing it")
            with self._lock:
                self._connections.remove(conn)
            with contextlib.suppress(Exception):
                conn.close()

    def _load_materialized(self) -> dict[str, str]:
        result = self._select(
            "SELECT name FROM system.columns WHERE database = {db:String} AND "
            "table = 'events' AND default_kind = 'MATERIALIZED' AND startsWith(name, 'mat_')",
            {"db": DATABASE},
        )
        return {row[0][len(_MAT_PREFIX) :]: row[0] for row in result.rows}

    def materialize(self, key: str) -> str:
        column = materialized_column(key)
        if key not in self._materialized:
            self._execute(
                f"ALTER TABLE {DATABASE}.events ADD COLUMN IF NOT EXISTS {materialized_ddl(key)}"
            )
            self._materialized[key] = column
        return column

    def materialized_columns(self) -> dict[str, str]:
        return dict(self._materialized)

    def add_materialized_columns(self, keys: Sequence[str]) -> list[str]:
        """Give a store from before them the columns of `keys` (those it lacks): an ALTER
        that rewrites no part (a part stored before computes the column when read, from the
        JSON), then a background mutation that writes the column into those parts, as a
        new insert would have (queries are right meanwhile, only slower). Returns the keys
        added."""
        added = [key for key in keys if key not in self._materialized]
        for key in added:
            column = quote_identifier(self.materialize(key))
            self._execute(  # chDB waits for a mutation unless told not to
                f"ALTER TABLE {DATABASE}.events MATERIALIZE COLUMN {column} "
                "SETTINGS mutations_sync = 0"
            )
        return added

    def healthy(self) -> bool:
        try:
            return self._select("SELECT 1").rows == [[1]]
        except Exception:
            return False

    def close(self) -> None:
        try:
            self.sessions.flush(final=True)
        except Exception:  # the next start aggregates them again from the stored events
            log.exception("writing the buffered sessions at close failed")
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(Exception):
                    conn.close()
            self._connections.clear()
            self._idle.clear()


def settings_clause(settings: Mapping[str, SettingValue] | None) -> str:
    if not settings:
        return ""
    return " SETTINGS " + ", ".join(
        f"{name} = {quote_string(value) if isinstance(value, str) else value}"
        for name, value in settings.items()
    )
