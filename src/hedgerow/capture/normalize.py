"""Turn a decoded capture payload into normalized events, or refuse the whole request.

The rules are PostHog's (see shared/reference/ingestion.md §1.2-2.6): three body shapes, token
precedence batch > event > properties.token, distinct_id coerced to a string of at most 200
characters, a client uuid kept when valid and a UUIDv7 generated when absent, top-level
`$set`/`$set_once` merged into properties, `$ip` added unless present, and the timestamp
corrected for the client's clock skew.
"""

from __future__ import annotations

import os
import random
import re
import time
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from hedgerow.capture.timestamps import parse_sent_at, parse_timestamp
from hedgerow.errors import BadRequest, PayloadTooLarge, Unauthorized

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_DISTINCT_ID = 200
FUTURE_LIMIT = timedelta(hours=23)
ILLEGAL_TOKEN_PREFIX = "phx_"


@dataclass(frozen=True)
class CaptureRequest:
    token: str
    events: list[dict[str, Any]]


def uuid7(now_ms: int | None = None) -> str:
    """A time-ordered UUIDv7: 48 bits of milliseconds, version 7, variant, 74 random bits.

    The random bits come from a generator seeded from the OS once, not a syscall per event:
    uuids need to be unique, not secret.
    """
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = _random.getrandbits(74)
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_random = random.Random(os.urandom(32))


def _shape(payload: Any, engage: bool) -> tuple[list[Any], Mapping[str, Any]]:
    """Split a payload into its events and the batch object they came in (if any)."""
    if isinstance(payload, list):
        return payload, {}
    if isinstance(payload, dict):
        if "batch" in payload:
            batch = payload["batch"]
            if not isinstance(batch, list):
                raise BadRequest(
                    "`batch` must be an array of events.", code="request_hydration_error"
                )
            return batch, payload
        if "event" not in payload:
            if engage:
                return [{**payload, "event": "$identify"}], {}
            raise BadRequest(
                "The event has no `event` field. Name every event, e.g. "
                '{"event": "$pageview", ...}.',
                code="missing_event_name",
            )
        return [payload], {}
    raise BadRequest(
        "The body must be an event object, an array of events or {batch: [...]}; got "
        f"a JSON {type(payload).__name__}.",
        code="request_hydration_error",
    )


def _event_token(event: Mapping[str, Any]) -> str | None:
    for key in ("token", "$token", "api_key"):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value
    properties = event.get("properties")
    if isinstance(properties, dict):
        value = properties.get("token")
        if isinstance(value, str) and value:
            return value
    return None


def resolve_token(events: list[Any], batch: Mapping[str, Any], query: Mapping[str, str]) -> str:
    for key in ("api_key", "token"):
        value = batch.get(key)
        if isinstance(value, str) and value:
            return value
    tokens = {t for t in (_event_token(e) for e in events if isinstance(e, dict)) if t}
    if len(tokens) > 1:
        raise BadRequest(
            "The events in this request carry different project tokens. Send each project's "
            "events in its own request.",
            code="multiple_tokens",
        )
    if tokens:
        return tokens.pop()
    for key in ("token", "api_key"):
        value = query.get(key)
        if value:
            return value
    raise Unauthorized(
        "No project token found. Put it in `api_key` (batch), `token` on the event, or "
        "`properties.token`.",
        code="missing_token",
    )


def _distinct_id(event: Mapping[str, Any], index: int) -> str:
    value = event.get("distinct_id")
    if value is None:
        value = event.get("$distinct_id")
    if value is None and isinstance(event.get("properties"), dict):
        value = event["properties"].get("distinct_id")
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = orjson.dumps(value).decode()
    else:
        text = orjson.dumps(value).decode()
    text = text.replace("\x00", "\ufffd")
    if not text.strip():
        raise BadRequest(
            f"Event {index} has no distinct_id. Every event needs a non-empty `distinct_id` "
            "naming the user or device.",
            code="missing_distinct_id",
        )
    return text[:MAX_DISTINCT_ID]


def _uuid(event: Mapping[str, Any], index: int, now_ms: int) -> str:
    value = event.get("uuid")
    if value is None or value == "":
        return uuid7(now_ms)
    if not isinstance(value, str):
        raise BadRequest(
            f"Event {index} has a uuid that is not a string. Send a UUID string or omit it.",
            code="invalid_uuid",
        )
    if _CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        raise BadRequest(
            f"Event {index} has an invalid uuid {value[:64]!r}. Send a UUID such as "
            "'0190b7a0-6c4e-7a31-8000-000000000001' or omit it.",
            code="invalid_uuid",
        ) from None


def _timestamp(
    event: Mapping[str, Any], index: int, now: datetime, sent_at: datetime | None
) -> datetime:
    result = now
    raw = event.get("timestamp")
    if raw is not None:
        parsed = parse_timestamp(raw)
        if parsed is None:
            raise BadRequest(
                f"Event {index} has a timestamp {str(raw)[:64]!r} that is not a date. Send ISO "
                "8601, e.g. '2026-11-24T10:00:00.000Z', or omit it.",
                code="invalid_timestamp",
            )
        properties = event.get("properties")
        ignore_sent_at = isinstance(properties, dict) and properties.get("$ignore_sent_at") is True
        result = now + (parsed - sent_at) if sent_at is not None and not ignore_sent_at else parsed
    offset = event.get("offset")
    if offset is not None:
        if isinstance(offset, bool) or not isinstance(offset, int | float):
            raise BadRequest(
                f"Event {index} has a non-numeric `offset`. Send milliseconds as a number.",
                code="invalid_timestamp",
            )
        try:
            result = now - timedelta(milliseconds=offset)
        except OverflowError:
            raise BadRequest(
                f"Event {index} has an `offset` too large to be a time.", code="invalid_timestamp"
            ) from None
    if result - now > FUTURE_LIMIT:
        result = now
    return result


def _merge_person_ops(event: Mapping[str, Any], properties: dict[str, Any]) -> None:
    for key in ("$set", "$set_once"):
        top = event.get(key)
        if top is None:
            continue
        if not isinstance(top, dict):
            raise BadRequest(f"`{key}` must be an object of properties.", code="invalid_event")
        inner = properties.get(key)
        properties[key] = {**inner, **top} if isinstance(inner, dict) else dict(top)


def _check_property_depth(properties: Mapping[str, Any], limit: int, index: int) -> None:
    """Refuse a property value (of properties, `$set` or `$set_once`) nesting objects and
    arrays more than `limit` levels: `{"a": 1}` nests 0, `{"a": {"b": [1]}}` nests 2."""
    for key, value in properties.items():
        if not isinstance(value, dict | list):
            continue
        if key in ("$set", "$set_once") and isinstance(value, dict):
            _check_property_depth(value, limit, index)
        elif _nests_deeper(value, limit):
            raise BadRequest(
                f"Event {index} has property {key[:64]!r} nested more than {limit} levels "
                "deep (the server's max_property_depth). Flatten it.",
                code="properties_too_deep",
            )


def _nests_deeper(value: dict[str, Any] | list[Any], limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def format_timestamp(value: datetime) -> str:
    """ClickHouse's DateTime64(6) text: 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def normalize_request(
    payload: Any,
    *,
    engage: bool,
    query: Mapping[str, str],
    ip: str | None,
    now: datetime | None = None,
    max_events: int = 10_000,
    max_property_depth: int = 64,
) -> CaptureRequest:
    """Validate and normalize every event of one request; any problem refuses them all."""
    now = now or datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    events, batch = _shape(payload, engage)
    if not events:
        raise BadRequest("The batch is empty. Send at least one event.", code="empty_batch")
    if len(events) > max_events:
        raise PayloadTooLarge(
            f"The request carries {len(events)} events; at most {max_events} are taken per "
            "request (the server's max_batch_events). Send smaller batches.",
            code="too_many_events",
        )
    token = resolve_token(events, batch, query)
    if token.startswith(ILLEGAL_TOKEN_PREFIX):
        raise Unauthorized(
            "That is a personal API key, not a project token. Use the project token (phc_...).",
            code="invalid_token",
        )
    sent_at = parse_sent_at(batch.get("sent_at"), query)
    now_text = format_timestamp(now)
    sent_at_text = format_timestamp(sent_at) if sent_at else None
    normalized: list[dict[str, Any]] = []
    for index, raw in enumerate(events):
        if not isinstance(raw, dict):
            raise BadRequest(
                f"Event {index} is a JSON {type(raw).__name__}, not an object.",
                code="invalid_event",
            )
        name = raw.get("event")
        if name is None or name == "":
            raise BadRequest(
                f"Event {index} has no `event` name. Name every event, e.g. '$pageview'.",
                code="missing_event_name",
            )
        if not isinstance(name, str):
            raise BadRequest(
                f"Event {index} has an `event` name that is not a string.", code="invalid_event"
            )
        properties = raw.get("properties", {})
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            raise BadRequest(
                f"Event {index} has `properties` that are not an object.", code="invalid_event"
            )
        properties = dict(properties)
        _merge_person_ops(raw, properties)
        _check_property_depth(properties, max_property_depth, index)
        if ip is not None and "$ip" not in properties:
            properties["$ip"] = ip
        timestamp = _timestamp(raw, index, now, sent_at)
        normalized.append(
            {
                "uuid": _uuid(raw, index, now_ms),
                "event": name,
                "distinct_id": _distinct_id(raw, index),
                "properties": properties,
                "timestamp": format_timestamp(timestamp),
                "now": now_text,
                "sent_at": sent_at_text,
            }
        )
    return CaptureRequest(token=token, events=normalized)
