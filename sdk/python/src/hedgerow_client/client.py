"""The client: the methods a backend calls, each turning into one event on the queue.

`capture()` checks its arguments, merges the super properties, gives the event a uuid and a
timestamp, serializes it and hands it to delivery; it never touches the network unless the
client is in `sync_mode`. The person methods are events too, in the shapes PostHog's server
SDKs send: `$identify`, `$set` with top-level `$set`/`$set_once`, `$create_alias`,
`$groupidentify`.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from hedgerow_client.delivery import BackgroundDelivery, Stats, SyncDelivery
from hedgerow_client.events import (
    MAX_EVENT_BYTES,
    SDK_PROPERTIES,
    DistinctId,
    check_distinct_id,
    check_event_name,
    check_uuid,
    encode,
    format_timestamp,
    now_iso,
    uuid7,
)
from hedgerow_client.jobs import Job
from hedgerow_client.transport import RetryPolicy, Transport, logger


class Delivery(Protocol):
    stats: Stats

    def put(self, event: bytes) -> None: ...
    def pending(self) -> int: ...
    def flush(self, timeout: float | None = None) -> bool: ...
    def shutdown(self, timeout: float | None = None) -> bool: ...


class DisabledDelivery:
    """`disabled=True`: events are checked and built, then forgotten."""

    def __init__(self) -> None:
        self.stats = Stats()

    def put(self, event: bytes) -> None:
        self.stats.captured += 1

    def pending(self) -> int:
        return 0

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def shutdown(self, timeout: float | None = None) -> bool:
        return True


class Client:
    """Sends events to a Hedgerow server (or anything speaking PostHog's capture protocol).

    `token` is the project token (`phc_...`) and `host` the server's base URL. Options:

    - `super_properties`: properties added to every event (an event's own win on a clash).
    - `flush_at` (100), `flush_interval` (0.5 s): a batch is sent when this many events wait,
      or when the oldest has waited this long. `max_batch_size` (1000) caps one request.
    - `max_queue_size` (10,000): past this, new events are dropped, counted in `stats` and
      logged; `capture()` never blocks.
    - `max_retries` (10), `retry_base_delay` (0.5 s), `max_retry_delay` (30 s): network
      errors, 408, 429 and 5xx are retried with exponential backoff and jitter.
    - `gzip` (True), `timeout` (10 s per request), `historical_migration` (False).
    - `sync_mode` (False): send each event before `capture()` returns.
    - `disabled` (False): check and build events but send nothing (for tests).
    - `shutdown_timeout` (10 s): how long `shutdown()`, and the flush at interpreter exit,
      keep trying to deliver what is queued.
    """

    def __init__(
        self,
        token: str,
        host: str,
        *,
        super_properties: Mapping[str, Any] | None = None,
        flush_at: int = 100,
        flush_interval: float = 0.5,
        max_batch_size: int = 1000,
        max_queue_size: int = 10_000,
        max_retries: int = 10,
        retry_base_delay: float = 0.5,
        max_retry_delay: float = 30.0,
        gzip: bool = True,
        timeout: float = 10.0,
        historical_migration: bool = False,
        sync_mode: bool = False,
        disabled: bool = False,
        shutdown_timeout: float = 10.0,
    ) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("token must be the project token (phc_...) printed by the server.")
        if token.startswith("phx_"):
            raise ValueError(
                "phx_... is a personal API key, for reading through the query API; events "
                "are sent with the project token (phc_...)."
            )
        self.token = token
        self.host = host
        self._super: dict[str, Any] = dict(super_properties or {})
        policy = RetryPolicy(max_retries, retry_base_delay, max_retry_delay)
        self._delivery: Delivery
        if disabled:
            self._delivery = DisabledDelivery()
            return
        transport = Transport(
            host, token, gzip=gzip, timeout=timeout, historical_migration=historical_migration
        )
        if sync_mode:
            self._delivery = SyncDelivery(transport, policy)
        else:
            self._delivery = BackgroundDelivery(
                transport,
                policy,
                flush_at=flush_at,
                flush_interval=flush_interval,
                max_batch_size=max_batch_size,
                max_queue_size=max_queue_size,
                shutdown_timeout=shutdown_timeout,
            )

    # -- events ----------------------------------------------------------------------------

    def capture(
        self,
        event: str,
        *,
        distinct_id: DistinctId,
        properties: Mapping[str, Any] | None = None,
        timestamp: datetime | None = None,
        uuid: str | uuidlib.UUID | None = None,
        groups: Mapping[str, str] | None = None,
    ) -> str:
        """Queue one event and return its uuid (generated here unless given).

        Raises ValueError/TypeError at once for a missing distinct_id, an empty event name,
        a uuid that is not one or a timestamp that is not a datetime.
        """
        message: dict[str, Any] = {
            "event": check_event_name(event),
            "distinct_id": check_distinct_id(distinct_id, event),
            "properties": self._properties(properties, groups),
            "timestamp": now_iso() if timestamp is None else format_timestamp(timestamp),
            "uuid": uuid7() if uuid is None else check_uuid(uuid),
        }
        return self._enqueue(message)

    def identify(
        self,
        distinct_id: DistinctId,
        properties: Mapping[str, Any] | None = None,
        *,
        set_once: Mapping[str, Any] | None = None,
        anon_distinct_id: DistinctId | None = None,
    ) -> str:
        """`$identify`: set person properties, and with `anon_distinct_id` (the id a browser
        used before sign-in) merge that anonymous person into this one."""
        extra: dict[str, Any] = {}
        if anon_distinct_id is not None:
            extra["$anon_distinct_id"] = check_distinct_id(anon_distinct_id, "$identify")
        return self._person_event("$identify", distinct_id, properties, set_once, extra)

    def set(self, distinct_id: DistinctId, properties: Mapping[str, Any]) -> str:
        """Set person properties (`$set`), overwriting earlier values."""
        return self._person_event("$set", distinct_id, properties, None, {})

    def set_once(self, distinct_id: DistinctId, properties: Mapping[str, Any]) -> str:
        """Set person properties only where the person has no value yet (`$set_once`)."""
        return self._person_event("$set", distinct_id, None, properties, {})

    def alias(self, previous_id: DistinctId, distinct_id: DistinctId) -> str:
        """`$create_alias`: `previous_id` and `distinct_id` are the same person from now on."""
        alias = check_distinct_id(distinct_id, "$create_alias")
        previous = check_distinct_id(previous_id, "$create_alias")
        return self._enqueue(
            {
                "event": "$create_alias",
                "distinct_id": previous,
                "properties": self._properties({"distinct_id": previous, "alias": alias}),
                "timestamp": now_iso(),
                "uuid": uuid7(),
            }
        )

    def group_identify(
        self,
        group_type: str,
        group_key: str,
        properties: Mapping[str, Any] | None = None,
        *,
        distinct_id: DistinctId | None = None,
    ) -> str:
        """`$groupidentify`: create or update a group (a company, a team) and its properties."""
        if not group_type or not group_key:
            raise ValueError("group_identify needs a group_type and a group_key.")
        sender = distinct_id if distinct_id is not None else f"${group_type}_{group_key}"
        group = {
            "$group_type": group_type,
            "$group_key": group_key,
            "$group_set": dict(properties or {}),
        }
        return self._enqueue(
            {
                "event": "$groupidentify",
                "distinct_id": check_distinct_id(sender, "$groupidentify"),
                "properties": self._properties(group),
                "timestamp": now_iso(),
                "uuid": uuid7(),
            }
        )

    def job(
        self,
        name: str,
        *,
        distinct_id: DistinctId | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> Job:
        """Track a backend job: `with client.job("nightly import"):` or as a decorator."""
        return Job(self, name, distinct_id=distinct_id, properties=properties)

    # -- super properties --------------------------------------------------------------------

    def register(self, properties: Mapping[str, Any]) -> None:
        """Add super properties, sent with every event captured from now on."""
        self._super = {**self._super, **properties}

    def unregister(self, *keys: str) -> None:
        self._super = {k: v for k, v in self._super.items() if k not in keys}

    @property
    def super_properties(self) -> dict[str, Any]:
        return dict(self._super)

    # -- delivery ----------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything captured so far; True once all of it has been sent or refused."""
        return self._delivery.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush (retrying for at most `shutdown_timeout` seconds) and stop the thread."""
        return self._delivery.shutdown(timeout)

    @property
    def stats(self) -> Stats:
        """Counts of captured, sent, failed and dropped events (a snapshot)."""
        stats = self._delivery.stats
        return Stats(**vars(stats))

    @property
    def pending(self) -> int:
        """Events captured and not yet sent (queued or in flight)."""
        return self._delivery.pending()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()

    # -- internals ---------------------------------------------------------------------------

    def _properties(
        self, properties: Mapping[str, Any] | None, groups: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        merged = {**SDK_PROPERTIES, **self._super}
        if properties:
            merged.update(properties)
        if groups:
            merged["$groups"] = dict(groups)
        return merged

    def _person_event(
        self,
        event: str,
        distinct_id: DistinctId,
        set_properties: Mapping[str, Any] | None,
        set_once: Mapping[str, Any] | None,
        extra: dict[str, Any],
    ) -> str:
        message: dict[str, Any] = {
            "event": event,
            "distinct_id": check_distinct_id(distinct_id, event),
            "properties": self._properties(extra),
            "timestamp": now_iso(),
            "uuid": uuid7(),
        }
        if set_properties:
            message["$set"] = dict(set_properties)
        if set_once:
            message["$set_once"] = dict(set_once)
        return self._enqueue(message)

    def _enqueue(self, message: dict[str, Any]) -> str:
        data = encode(message)
        if len(data) > MAX_EVENT_BYTES:
            self._delivery.stats.captured += 1
            self._delivery.stats.failed += 1
            logger.error(
                "hedgerow-client: %r is %d bytes, over the %d-byte limit for one event; "
                "it is dropped. Send smaller properties.",
                message["event"],
                len(data),
                MAX_EVENT_BYTES,
            )
            return str(message["uuid"])
        self._delivery.put(data)
        return str(message["uuid"])
