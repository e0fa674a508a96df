"""The intake log on NATS JetStream (`--intake-url nats://host:port`).

One stream, `HEDGEROW_INTAKE`, and its buckets (`jetstream_stream.py`) hold one message per
partition part of an accepted capture request (`jetstream_publish.py`); a message's stream
sequence is the entry's offset. Ingestion workers share the partitions by leases
(`consumers.py`).

Consumer offsets live in the KV bucket `hedgerow_intake_offsets` (one key per consumer, or
per partition of a partitioned consumer), written on commit; after a commit the stream is
purged below the lowest committed offset, so the stream holds exactly the backlog and its
limits (`max_msgs`, `max_bytes`, discard policy `new`) make a full stream refuse publishes:
capture answers 503 `intake_full`. Reads use an ephemeral pull consumer without
acknowledgements that starts at the requested offset and is kept while reads follow on from
each other (`jetstream_cursor.py`).

nats-py is asyncio-only: the client lives on its own event-loop thread (`LoopThread`);
capture awaits its futures, the ingestion worker blocks on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from hedgerow.errors import PayloadTooLarge, ServiceUnavailable
from hedgerow.intake.jetstream_cursor import Cursor
from hedgerow.intake.jetstream_publish import Publisher, message_id, subject
from hedgerow.intake.jetstream_stream import (
    CONFIG_BUCKET,
    OFFSETS_BUCKET,
    STREAM,
    SUBJECT_PREFIX,
    IntakeUnreachable,
    PartitionsMismatch,
    StreamLimits,
    check_partitions,
    ensure_stream,
    open_bucket,
)
from hedgerow.intake.log import Backlog, IntakeEntry
from hedgerow.intake.loop_thread import LoopThread
from hedgerow.intake.partitions import DEFAULT_PARTITIONS, split_payload
from hedgerow.intake.pressure import ingestion_lagging, intake_unavailable, stream_full

__all__ = [
    "IntakeUnreachable",
    "JetStreamIntakeLog",
    "PartitionsMismatch",
    "StreamLimits",
    "message_id",
    "subject",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

REFRESH_SECONDS = 0.5  # how often the cached stream state (for backpressure) is read
CALL_TIMEOUT = 10.0  # the longest a synchronous caller waits for NATS
START_ATTEMPTS = 4  # connection attempts, 0.5 s apart, before the server refuses to start


@dataclass(frozen=True)
class _StreamStatus:
    messages: int = 0
    bytes: int = 0
    oldest: float | None = None


class JetStreamIntakeLog:
    def __init__(
        self,
        url: str,
        *,
        limits: StreamLimits | None = None,
        max_lag: float | None = None,
        publish_timeout: float = 5.0,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self.url = url
        self.partitions = partitions
        self.limits = limits or StreamLimits()
        self.max_lag = max_lag
        self.publish_timeout = publish_timeout
        self._lock = threading.Lock()
        self._requested: dict[str, int] = {}  # commits asked for (maybe not written yet)
        self._written: dict[str, int] = {}  # commits stored in the KV bucket
        self._purged_below = 0  # the stream was purged up to this offset (of `_written`)
        self._status = _StreamStatus()
        self._closing = False
        self._thread = LoopThread("intake-nats")
        try:
            self._call(self._open(), timeout=30)
        except PartitionsMismatch:
            self._thread.stop()
            raise
        except Exception as exc:
            self._thread.stop()
            raise IntakeUnreachable(
                f"Cannot open the JetStream intake log at {url}: {exc}. Start nats-server with "
                "JetStream (`nats-server -js`), or leave --intake-url unset for the embedded log."
            ) from exc

    # -- connection ----------------------------------------------------------------------

    async def _open(self) -> None:
        self._nc: Client = await nats.connect(
            [server.strip() for server in self.url.split(",")],
            name="hedgerow-intake",
            connect_timeout=5,
            allow_reconnect=True,
            max_reconnect_attempts=START_ATTEMPTS,  # at start: fail with a clear message
            reconnect_time_wait=0.5,
            disconnected_cb=self._disconnected,
            reconnected_cb=self._reconnected,
            error_cb=self._error,
        )
        self._nc.options["max_reconnect_attempts"] = -1  # once running: reconnect for ever
        self._js: JetStreamContext = self._nc.jetstream(timeout=5)
        await ensure_stream(self._js, self.limits)
        self._config: KeyValue = await open_bucket(self._js, CONFIG_BUCKET, self.limits.replicas)
        try:
            await check_partitions(self._config, self.url, self.partitions)
        except PartitionsMismatch:
            await self._nc.close()
            raise
        self._kv: KeyValue = await open_bucket(self._js, OFFSETS_BUCKET, self.limits.replicas)
        self._publisher = Publisher(
            self._js, self.url, self.publish_timeout, self._connected, self._stream_full
        )
        with contextlib.suppress(nats.js.errors.NoKeysError):
            for key in await self._kv.keys():
                entry = await self._kv.get(key)
                self._written[key] = int(entry.value or b"0")
        self._reader = Cursor(self._js, STREAM, f"{SUBJECT_PREFIX}.>")
        self._commit_lock = asyncio.Lock()
        await self._refresh()
        self._refresher = asyncio.get_running_loop().create_task(self._refresh_loop())

    async def _disconnected(self) -> None:
        if self._closing:
            return
        log.error("the JetStream intake log lost its connection to %s; reconnecting", self.url)

    async def _reconnected(self) -> None:
        log.warning("the JetStream intake log reconnected to %s", self.url)

    async def _error(self, exc: Exception) -> None:
        log.warning("NATS client error: %s", exc)

    def _connected(self) -> bool:
        return bool(self._nc.is_connected)

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
        return self._thread.run(coro, timeout)

    def _require_connection(self) -> None:
        if not self._connected():
            raise ConnectionError(f"not connected to NATS at {self.url}")

    # -- backpressure --------------------------------------------------------------------

    def check_pressure(self) -> None:
        if not self._connected():
            raise intake_unavailable(f"NATS at {self.url} is unreachable")
        status = self._status
        limits = self.limits
        if status.messages >= limits.max_msgs or status.bytes >= limits.max_bytes:
            raise self._stream_full()
        if self.max_lag is not None and status.oldest is not None:
            lag = time.time() - status.oldest
            if lag > self.max_lag:
                raise ingestion_lagging(lag, self.max_lag)

    async def _refresh(self) -> None:
        info = await self._js.stream_info(STREAM)
        oldest = None
        if info.state.messages:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                first = await self._js.get_msg(STREAM, info.state.first_seq)
                oldest = first.time.timestamp() if first.time else None
        self._status = _StreamStatus(info.state.messages, info.state.bytes, oldest)

    async def _refresh_loop(self) -> None:
        """Keep the stream's state for `check_pressure` (a cached reading, not a request per
        capture), and write commits that failed (NATS was away) once it is back."""
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            if not self._nc.is_connected:
                continue
            try:
                await self._refresh()
                with self._lock:
                    unwritten = [
                        (c, o) for c, o in self._requested.items() if o > self._written.get(c, 0)
                    ]
                for consumer, offset in unwritten:
                    await self._write_commit(consumer, offset)
            except Exception as exc:
                log.warning("reading the intake stream's state failed: %s", exc)

    # -- appending -----------------------------------------------------------------------

    async def append(self, team_id: int, count: int, payload: bytes) -> int:
        self.check_pressure()
        if len(payload) > self._nc.max_payload:
            raise PayloadTooLarge(
                f"The request's {count} events are {len(payload)} bytes once normalized; the "
                f"NATS server takes messages of at most {self._nc.max_payload} bytes. Send "
                "fewer events per request, or raise max_payload in nats-server's configuration.",
                code="intake_entry_too_large",
            )
        parts = split_payload(team_id, count, payload, self.partitions)
        future = self._thread.submit(self._publisher.publish_parts(team_id, parts))
        return await asyncio.wrap_future(future)

    def append_blocking(self, team_id: int, count: int, payload: bytes) -> int:
        """The same as `append`, for callers outside an event loop (tests, tools)."""
        return asyncio.run(self.append(team_id, count, payload))

    def _stream_full(self) -> ServiceUnavailable:
        status, limits = self._status, self.limits
        return stream_full(status.messages, status.bytes, limits.max_msgs, limits.max_bytes)

    # -- consuming -----------------------------------------------------------------------

    def read(
        self, consumer: str, max_events: int, *, after: int | None = None
    ) -> list[IntakeEntry]:
        if after is None:
            after = self.committed(consumer)
        self._require_connection()
        return self._call(self._reader.read(after, max_events))

    def read_range(self, first: int, last: int) -> list[IntakeEntry]:
        self._require_connection()
        return self._call(self._read_range(first, last))

    async def _read_range(self, first: int, last: int) -> list[IntakeEntry]:
        cursor = Cursor(self._js, STREAM, f"{SUBJECT_PREFIX}.>")
        try:
            return await cursor.read(first - 1, None, until=last)
        finally:
            await cursor.close()

    def committed(self, consumer: str) -> int:
        """The consumer's committed offset; for a partitioned consumer (`consumers.py`) the
        lowest of its partitions', read afresh (other processes write them)."""
        if f"{consumer}.p0" in self._written:
            return self._call(self._partitioned_committed(consumer))
        with self._lock:
            if consumer in self._written or consumer in self._requested:
                return max(self._written.get(consumer, 0), self._requested.get(consumer, 0))
        self._require_connection()
        stored = self._call(self._read_committed(consumer))
        with self._lock:
            self._written[consumer] = max(stored, self._written.get(consumer, 0))
            return max(self._written[consumer], self._requested.get(consumer, 0))

    async def _partitioned_committed(self, consumer: str) -> int:
        keys = [f"{consumer}.p{n}" for n in range(self.partitions)]
        await self.reload_offsets(keys)
        with self._lock:
            return min(self._written.get(key, 0) for key in keys)

    async def _read_committed(self, consumer: str) -> int:
        try:
            entry = await self._kv.get(consumer)
        except nats.js.errors.KeyNotFoundError:
            return 0
        return int(entry.value or b"0")

    def commit(self, consumer: str, offset: int, *, wait: bool = True) -> None:
        """Record the offset in the KV bucket, then purge what every consumer has handled.
        With `wait=False` the write follows; one that fails is retried until NATS is back."""
        with self._lock:
            self._requested[consumer] = max(offset, self._requested.get(consumer, 0))
        future = self._thread.submit(self._write_commit(consumer, offset))
        if wait:
            future.result(CALL_TIMEOUT)
        else:
            future.add_done_callback(_log_failed_commit)

    async def _write_commit(self, consumer: str, offset: int) -> None:
        async with self._commit_lock:
            if offset <= self._written.get(consumer, 0):
                return
            await self._kv.put(consumer, str(offset).encode())
            with self._lock:
                self._written[consumer] = offset
                low = min(self._written.values())
            if low > 0:  # nats-server 2.9 takes a purge up to sequence 1 for "purge all"
                await self._js.purge_stream(STREAM, seq=low + 1)  # keeps offsets > low

    # -- for a partitioned consumer (`consumers.py`) -----------------------------------------

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
        """Run a coroutine on the log's event loop and wait for its result."""
        return self._call(coro, timeout)

    @property
    def jetstream(self) -> JetStreamContext:
        return self._js

    @property
    def offsets(self) -> KeyValue:
        """The offsets bucket (a partitioned consumer writes it by compare-and-set)."""
        return self._kv

    @property
    def config(self) -> KeyValue:
        return self._config

    async def note_offsets(self, written: dict[str, int]) -> None:
        """Offsets a partitioned consumer has written: purge what every consumer handled."""
        with self._lock:
            for key, offset in written.items():
                self._written[key] = max(offset, self._written.get(key, 0))
        await self._purge_handled()

    async def reload_offsets(self, keys: list[str]) -> None:
        """Read these offsets again (other processes commit them), and purge what every
        consumer has handled by now. Several workers each purge after their own commits by
        the others' offsets they knew then, so the last commit of a burst may leave entries
        the others had handled meanwhile: this purge (every second, from the heartbeat)
        takes them, and the stream (and `queued`) is empty once all is handled."""
        for key in keys:
            with contextlib.suppress(nats.js.errors.KeyNotFoundError):
                entry = await self._kv.get(key)
                with self._lock:
                    offset = int(entry.value or b"0")
                    self._written[key] = max(offset, self._written.get(key, 0))
        await self._purge_handled()

    async def _purge_handled(self) -> None:
        """Purge the stream below the lowest offset known, once per rise of it."""
        async with self._commit_lock:
            with self._lock:
                low = min(self._written.values(), default=0)
            if low > self._purged_below:  # nats-server 2.9 takes a purge to 1 as "purge all"
                await self._js.purge_stream(STREAM, seq=low + 1)
                self._purged_below = low

    def forget(self, consumer: str) -> None:
        """A consumer that is gone (its offset no longer holds back the purge)."""
        with self._lock:
            self._written.pop(consumer, None)
            self._requested.pop(consumer, None)

    def head(self) -> int:
        """The offset of the last entry appended (0: none yet): the stream's last sequence."""
        self._require_connection()
        return int(self._call(self._js.stream_info(STREAM)).state.last_seq)

    def backlog(self, team_id: int | None = None) -> Backlog:
        """Raises 503 `intake_unavailable` while NATS cannot be asked (the ingestion status
        API answers that instead of an error of its own)."""
        if not self._connected():
            raise intake_unavailable(f"NATS at {self.url} is unreachable")
        try:
            return self._call(self._backlog(team_id))
        except (TimeoutError, nats.errors.Error) as exc:
            raise intake_unavailable(f"NATS at {self.url} did not answer: {exc!r}") from exc

    async def _backlog(self, team_id: int | None) -> Backlog:
        """Events per subject (the count is the subject's last token, the project the one
        before) of what is not yet purged, and the time of the first such entry."""
        with self._lock:
            low = min(self._written.values(), default=0)
        everything = f"{SUBJECT_PREFIX}.>"
        info = await self._js.stream_info(STREAM, subjects_filter=everything)
        subjects = {
            name: n
            for name, n in (info.state.subjects or {}).items()
            if team_id is None or name.split(".")[-2] == str(team_id)
        }
        events = sum(int(name.rsplit(".", 1)[1]) * n for name, n in subjects.items())
        oldest = None
        if subjects:
            start = max(info.state.first_seq, low + 1)
            wanted = everything if team_id is None else f"{SUBJECT_PREFIX}.*.{team_id}.*"
            with contextlib.suppress(nats.js.errors.NotFoundError):
                first = await self._js.get_msg(STREAM, start, subject=wanted, next=True)
                oldest = first.time.timestamp() if first.time else None
        return Backlog(events=events, oldest_appended_at=oldest)

    def healthy(self) -> bool:
        return self._thread.alive() and self._connected()

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        with contextlib.suppress(Exception):
            self._call(self._close(), timeout=15)
        self._thread.stop()

    async def _close(self) -> None:
        self._refresher.cancel()
        with self._lock:
            unwritten = [(c, o) for c, o in self._requested.items() if o > self._written.get(c, 0)]
        with contextlib.suppress(Exception):
            for consumer, offset in unwritten:
                await self._write_commit(consumer, offset)
        await self._reader.close()
        await self._nc.close()


def _log_failed_commit(future: Any) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("committing an intake offset failed (retried): %s", future.exception())
