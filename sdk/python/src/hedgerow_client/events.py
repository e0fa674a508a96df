"""One event as the SDK sends it: checked in the caller's thread, then frozen as JSON bytes.

Everything that can be wrong with an event (no distinct_id, no name, a uuid that is not one, a
timestamp that is not a datetime) is found here, at the `capture()` call that made it, instead
of as a rejected batch later. The event is serialized at once, so the caller may change its
dicts afterwards without changing what is sent, and the queue knows each event's size.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import random
import time
import uuid as uuidlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hedgerow_client.version import VERSION

LIB = "hedgerow-client"
SDK_PROPERTIES: dict[str, Any] = {"$lib": LIB, "$lib_version": VERSION}

# posthog-python's per-event limit; the server takes 20 MiB per /batch/ request.
MAX_EVENT_BYTES = 900 * 1024

DistinctId = str | int | uuidlib.UUID


def uuid7() -> str:
    """A time-ordered UUIDv7 (48 bits of Unix milliseconds, then random bits), as text.

    Time-ordered ids keep the server's storage sorted. The random bits come from a generator
    seeded from the OS, reseeded in every forked child so that two workers never share ids.
    """
    millis = time.time_ns() // 1_000_000
    bits = _random.getrandbits(74)
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (bits >> 62) << 64 | 0b10 << 62
    value |= bits & 0x3FFF_FFFF_FFFF_FFFF
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


def check_distinct_id(distinct_id: object, event: str) -> str:
    """The distinct_id as the string sent, or a ValueError saying what to pass instead."""
    if isinstance(distinct_id, bool) or not isinstance(distinct_id, str | int | uuidlib.UUID):
        if distinct_id is None:
            raise ValueError(
                f"{event!r} needs a distinct_id: every event belongs to someone. Pass "
                "distinct_id=<the user's id> (for events of no user, a fixed id such as "
                "'backend' or the job's name)."
            )
        raise TypeError(
            f"distinct_id of {event!r} must be a str, int or UUID, not "
            f"{type(distinct_id).__name__}."
        )
    text = str(distinct_id)
    if not text.strip():
        raise ValueError(
            f"{event!r} has a blank distinct_id; pass the user's id (every event needs one)."
        )
    return text


def check_event_name(event: object) -> str:
    if not isinstance(event, str) or not event:
        raise ValueError(f"The event name must be a non-empty string, got {event!r}.")
    return event


def check_uuid(value: object) -> str:
    """A caller's uuid in canonical form; a ValueError if it is not a UUID at all."""
    if isinstance(value, uuidlib.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuidlib.UUID(value))
        except ValueError:
            pass
    raise ValueError(f"uuid must be a UUID (or its text), got {value!r}.")


def format_timestamp(value: object) -> str:
    """ISO 8601 in UTC. A naive datetime is local time, as everywhere else in Python."""
    if not isinstance(value, datetime):
        raise TypeError(
            f"timestamp must be a datetime, got {type(value).__name__}; pass e.g. "
            "datetime.now(UTC)."
        )
    return value.astimezone(UTC).isoformat()


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _to_json(value: object) -> Any:
    """JSON for the values backends commonly put in properties; their text for the rest."""
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo else value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_to_json)


def encode(message: Mapping[str, Any]) -> bytes:
    """The event as JSON bytes; ValueError for what JSON cannot hold (a circular reference)."""
    try:
        text = _encoder.encode(message)
    except (TypeError, ValueError, RecursionError) as error:
        raise ValueError(
            f"The properties of {message.get('event')!r} cannot be sent as JSON: {error}"
        ) from error
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, which no JSON parser accepts
        return text.encode("utf-8", "replace")
