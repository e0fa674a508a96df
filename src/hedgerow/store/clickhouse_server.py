"""The event store on a ClickHouse server, over its HTTP interface (`clickhouse-connect`).

The same schema and the same SQL as the embedded store (`chdb.py`, which this extends): only
the transport differs. Statements go over HTTP; the rows of an insert travel as an Arrow
stream in the request's body, read by the `input()` table function in the same INSERT ...
SELECT that the embedded store runs over chDB's `Python()` (`_insert`), so a batch is one
request, and its deduplication token makes a replayed batch store nothing. Columns read from
`input()` are declared Nullable, as chDB reads Arrow columns, so the SELECTs type alike.

The client keeps no HTTP session: a ClickHouse session runs one statement at a time, and
the API's threads and the ingestion worker share this store. Several processes (ingestion
workers, query servers) can open the same server at once; each runs the schema's
`CREATE ... IF NOT EXISTS` and upgrades when it opens.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn, cast
from urllib.parse import parse_qs, unquote, urlsplit

import clickhouse_connect
import pyarrow as pa
from clickhouse_connect.driver.exceptions import ClickHouseError

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.chdb_limits import LIMIT_ERRORS
from hedgerow.store.events import QueryFailed, QueryLimits, SettingValue
from hedgerow.store.insert_rows import Statement
from hedgerow.store.schema import quote_identifier, quote_string

DEFAULT_PORT = 8123
# Statements with a result set, which a FORMAT clause may follow.
_READS = re.compile(r"\s*(\(|(SELECT|WITH|SHOW|DESC|DESCRIBE|EXPLAIN|EXISTS)\b)", re.IGNORECASE)


log = logging.getLogger(__name__)


class ClickHouseServerEventStore(ChdbEventStore):
    def __init__(
        self, url: str, limits: QueryLimits | None = None, *, keep_sessions: bool = True
    ) -> None:
        """`url`: clickhouse://[user[:password]@]host[:port][/?secure=1] (the HTTP port,
        8123 by default)."""
        self.url = url
        self._client = connect(url)
        self._open(limits, keep_sessions)

    def _execute(
        self, sql: str, params: Mapping[str, Any] | None = None, output: str = "CSV"
    ) -> Any:
        """Run one statement (its result, if any, is dropped)."""
        try:
            return self._client.command(sql, parameters=_bound(params))
        except ClickHouseError as exc:
            _raise_failed(exc)

    def _raw(self, sql: str, params: Mapping[str, Any] | None, output: str) -> bytes:
        """A statement's result in `output` (appended as its FORMAT clause); a statement
        without a result (DELETE, ALTER, ...: `run` takes those too) answers nothing, as
        chDB's do."""
        if not _READS.match(sql):
            self._execute(sql, params)
            return b""
        try:
            raw = self._client.raw_query(sql, parameters=_bound(params), fmt=output)
            return cast(bytes, raw)
        except ClickHouseError as exc:
            _raise_failed(exc)

    def _insert(self, statement: Statement, table: pa.Table) -> None:
        """One request: the statement reads `input(...)`, the rows are its body."""
        source = f"input({quote_string(input_structure(table.schema))})"
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        try:
            self._client.command(
                statement(source) + " FORMAT ArrowStream", data=sink.getvalue().to_pybytes()
            )
        except ClickHouseError as exc:
            _raise_failed(exc)

    def insert_formatted(self, statement: str, data: bytes) -> None:
        """Run an INSERT whose rows are `data`, in the format its FORMAT clause names (a
        migration's copy of another store's rows, in ClickHouse's Native format)."""
        try:
            self._client.command(statement, data=data)
        except ClickHouseError as exc:
            _raise_failed(exc)

    def stream(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        output: str,
        settings: Mapping[str, SettingValue] | None = None,
    ) -> Iterator[bytes]:
        """The server's streamed HTTP response, a chunk at a time (an export of any size
        keeps a chunk in memory); closing the generator closes the response, which makes the
        server cancel the query."""
        sql = self._export_sql(sql, settings)
        try:
            response = self._client.raw_stream(sql, parameters=_bound(params), fmt=output)
        except ClickHouseError as exc:
            _raise_failed(exc)
        try:
            yield from response.stream(1 << 16)
        finally:
            with contextlib.suppress(Exception):
                response.close()
                response.release_conn()

    def close(self) -> None:
        try:
            self.sessions.flush(final=True)
        except Exception:  # the next start aggregates them again from the stored events
            log.exception("writing the buffered sessions at close failed")
        with contextlib.suppress(Exception):
            self._client.close()


class _Verbatim:
    """A parameter's value sent as its text, as chDB sends it: Hedgerow gives values in
    ClickHouse's escaped text form already (`query/sql.py`), which clickhouse-connect would
    escape again (it formats every value but those of types it does not know)."""

    def __init__(self, value: Any) -> None:
        self.text = str(value)

    def __str__(self) -> str:
        return self.text


def _bound(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The values of a statement's `{name:Type}` parameters (None: it has none)."""
    return {name: _Verbatim(value) for name, value in params.items()} if params else None


def connect(url: str) -> Any:
    """A clickhouse-connect client for a clickhouse:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("clickhouse", "clickhouses"):
        raise ValueError(f"not a clickhouse:// URL: {url}")
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    secure = parts.scheme == "clickhouses" or options.get("secure") in ("1", "true")
    return clickhouse_connect.get_client(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or DEFAULT_PORT,
        username=unquote(parts.username) if parts.username else "default",
        password=unquote(parts.password) if parts.password else "",
        secure=secure,
        compress=False,  # raw results are passed on as they come (streams, JSON)
        autogenerate_session_id=False,  # statements of several threads at once
        connect_timeout=10,
        send_receive_timeout=3600,  # squashing and upgrades wait for their mutations
    )


# Arrow type -> ClickHouse type of the values `input()` reads.
_SCALARS = {
    pa.string(): "String",
    pa.large_string(): "String",
    pa.int64(): "Int64",
    pa.uint64(): "UInt64",
    pa.uint8(): "UInt8",
    pa.float64(): "Float64",
}


def input_structure(schema: pa.Schema) -> str:
    """`input()`'s structure for rows of `schema`: each column Nullable, as chDB reads an
    Arrow column (a list's items Nullable inside the Array)."""
    columns = []
    for field in schema:
        kind = field.type
        if pa.types.is_list(kind):
            typed = f"Array(Nullable({_SCALARS[kind.value_type]}))"
        else:
            typed = f"Nullable({_SCALARS[kind]})"
        columns.append(f"{quote_identifier(field.name)} {typed}")
    return ", ".join(columns)


def _raise_failed(exc: ClickHouseError) -> NoReturn:
    """`QueryFailed` for an error of the server, with ClickHouse's error name and the query
    limit behind its code; the message is the server's (from `Code: ...`)."""
    text = str(exc)
    start = text.find("Code: ")
    message = text[start:] if start >= 0 else text
    message = re.sub(r"\s*\(for url [^)]*\)\s*$", "", message)
    code = getattr(exc, "code", None)  # the server's error code (None: no answer)
    if code is None and (found := re.search(r"Code: (\d+)", message)):
        code = int(found.group(1))
    name = getattr(exc, "name", None) or ""
    raise QueryFailed(
        message, name=name, limit=LIMIT_ERRORS.get(int(code)) if code is not None else None
    ) from None
