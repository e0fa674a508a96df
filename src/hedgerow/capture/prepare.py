"""One capture body made ready for the intake log: decoded, normalized, serialized.

The same function runs in the server process (small bodies) and in the capture helper
processes (big ones, `capture/helpers.py`), so both give byte-for-byte the same entries.
Everything it needs from the HTTP request travels in `RequestFacts`, which is plain data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from hedgerow.capture.decode import DecodeLimits, decode_payload
from hedgerow.capture.normalize import normalize_request
from hedgerow.errors import PayloadTooLarge


@dataclass(frozen=True)
class PrepareLimits:
    """The size limits a body is prepared under (the `limits` settings, plain data so that
    the helper processes get the same ones)."""

    max_decompressed_size: int = 100 * 1024**2
    max_batch_events: int = 10_000
    max_event_size: int = 1024**2  # one normalized event's JSON, in bytes
    max_property_depth: int = 64

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> PrepareLimits:
        fields: dict[str, int] = orjson.loads(data)
        return cls(**fields)


DEFAULT_LIMITS = PrepareLimits()


@dataclass(frozen=True)
class RequestFacts:
    query: dict[str, str]
    content_type: str | None
    content_encoding: str | None
    legacy_path: bool
    engage: bool
    ip: str | None
    received_at: float  # seconds since the epoch: the capture time of every event

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes) -> RequestFacts:
        fields: dict[str, Any] = orjson.loads(data)
        return cls(**fields)


@dataclass(frozen=True)
class Prepared:
    token: str
    count: int
    payload: bytes  # the normalized events, a JSON array: one intake entry


def prepare(body: bytes, facts: RequestFacts, limits: PrepareLimits = DEFAULT_LIMITS) -> Prepared:
    """Decode and normalize a body; raises the request's `HedgerowError` when it is refused."""
    payload = decode_payload(
        body,
        query=facts.query,
        content_type=facts.content_type,
        content_encoding=facts.content_encoding,
        legacy_path=facts.legacy_path,
        limits=DecodeLimits(max_decompressed=limits.max_decompressed_size),
    )
    normalized = normalize_request(
        payload,
        engage=facts.engage,
        query=facts.query,
        ip=facts.ip,
        now=datetime.fromtimestamp(facts.received_at, UTC),
        max_events=limits.max_batch_events,
        max_property_depth=limits.max_property_depth,
    )
    # Serialized one by one to measure each event; joined, the bytes are those of one dumps().
    encoded = [orjson.dumps(event) for event in normalized.events]
    for index, event_json in enumerate(encoded):
        if len(event_json) > limits.max_event_size:
            raise PayloadTooLarge(
                f"Event {index} is {len(event_json)} bytes as JSON; one event may be at most "
                f"{limits.max_event_size} (the server's max_event_size). Send fewer or smaller "
                "properties.",
                code="event_too_large",
            )
    return Prepared(normalized.token, len(encoded), b"[" + b",".join(encoded) + b"]")
