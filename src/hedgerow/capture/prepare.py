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

DECOMPRESSED_LIMIT = 100 * 1024 * 1024


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


def prepare(body: bytes, facts: RequestFacts) -> Prepared:
    """Decode and normalize a body; raises the request's `HedgerowError` when it is refused."""
    payload = decode_payload(
        body,
        query=facts.query,
        content_type=facts.content_type,
        content_encoding=facts.content_encoding,
        legacy_path=facts.legacy_path,
        limits=DecodeLimits(max_decompressed=DECOMPRESSED_LIMIT),
    )
    normalized = normalize_request(
        payload,
        engage=facts.engage,
        query=facts.query,
        ip=facts.ip,
        now=datetime.fromtimestamp(facts.received_at, UTC),
    )
    return Prepared(normalized.token, len(normalized.events), orjson.dumps(normalized.events))
