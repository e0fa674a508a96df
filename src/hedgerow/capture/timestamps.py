"""Parsing the times clients send: event timestamps and the request's `sent_at`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

_ZONE_HOURS = re.compile(r"([+-]\d{2})$")
_ZERO = timedelta(0)


def parse_timestamp(raw: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 (or epoch numbers), or None when not a date."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return _from_epoch(float(raw))
    if not isinstance(raw, str):
        return None
    try:  # the common case: ISO 8601 as SDKs send it (3.11 reads a trailing Z)
        fast = datetime.fromisoformat(raw)
    except ValueError:
        pass
    else:
        if fast.tzinfo is None:
            return fast.replace(tzinfo=UTC)
        return _to_utc(fast)
    text = raw.strip()
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _from_epoch(float(text))
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    text = _ZONE_HOURS.sub(r"\1:00", text)
    text = text.replace("/", "-")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return _to_utc(parsed)


def _to_utc(value: datetime) -> datetime | None:
    if value.utcoffset() == _ZERO:
        return value if value.tzinfo is UTC else value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _from_epoch(value: float) -> datetime | None:
    if value > 1e11:  # milliseconds
        value /= 1000
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, ValueError, OSError):
        return None


def parse_sent_at(body_value: Any, query: Mapping[str, str]) -> datetime | None:
    """The client's send time: the batch's ISO `sent_at`, else query `sent_at`/`_` in ms."""
    if body_value is not None:
        parsed = parse_timestamp(body_value)
        if parsed is not None:
            return parsed
    for key in ("sent_at", "_"):
        text = query.get(key)
        if text and text.isdigit():
            parsed = _from_epoch(float(text))
            if parsed is not None and parsed.year > 2020:
                return parsed
    return None
