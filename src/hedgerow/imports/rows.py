"""One row of an import file made into an intake record, or the reason it is rejected.

A row is a mapping of the batch export's fields (`uuid`, `event`, `distinct_id`,
`timestamp`, `properties`, `set`, `set_once`, `elements_chain`, `created_at`, ...). JSON
columns may be objects (JSON lines) or JSON text (CSV, Parquet). The record is the one
capture writes to the intake log, marked `history` so that the event buffer never holds it.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from hedgerow.capture.normalize import MAX_DISTINCT_ID, format_timestamp
from hedgerow.capture.timestamps import parse_timestamp

# Rows without a uuid get one derived from their content: a file imported twice (or copied
# and imported again) gives the same uuids, and two identical rows are one event.
CONTENT_UUIDS = uuidlib.UUID("6b0c1f0e-3d55-4f7e-9a0c-7b3f2f6d1a10")
PERSON_OPERATIONS = {
    "set": "$set",
    "set_once": "$set_once",
    "$set": "$set",
    "$set_once": "$set_once",
}


@dataclass(frozen=True)
class Rejection:
    reason: str  # snake_case, listed in docs/data-lifecycle.md#import
    message: str


class Rejected(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.rejection = Rejection(reason, message)


def _json_object(row: Mapping[str, Any], field: str) -> dict[str, Any]:
    value = row.get(field)
    if value is None or value == "":
        return {}
    if isinstance(value, str | bytes):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise Rejected("invalid_json_column", f"`{field}` is not valid JSON.") from None
    if not isinstance(value, dict):
        raise Rejected("invalid_json_column", f"`{field}` is not a JSON object.")
    return value


def _text(row: Mapping[str, Any], field: str) -> str:
    value = row.get(field)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return orjson.dumps(value).decode()


def _time(value: Any, field: str) -> str | None:
    """ClickHouse's time text, or None when absent; a value that is no time is rejected."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):  # Parquet's TIMESTAMP columns
        parsed: datetime | None = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        parsed = parse_timestamp(value)
    if parsed is None:
        raise Rejected("invalid_timestamp", f"`{field}` {str(value)[:64]!r} is not a time.")
    return format_timestamp(parsed)


def _uuid(value: Any, content: list[Any]) -> str:
    if value is None or value == "":
        text = orjson.dumps(content, option=orjson.OPT_SORT_KEYS).decode()
        return str(uuidlib.uuid5(CONTENT_UUIDS, text))
    try:
        return str(uuidlib.UUID(str(value)))
    except ValueError:
        raise Rejected("invalid_uuid", f"`uuid` {str(value)[:64]!r} is not a UUID.") from None


def to_record(row: Mapping[str, Any], imported_at: str) -> dict[str, Any]:
    """The intake record of one row; raises `Rejected` with the reason it cannot be one."""
    event = _text(row, "event")
    if not event.strip():
        raise Rejected("missing_event", "The row has no `event` name.")
    distinct_id = _text(row, "distinct_id").replace("\x00", "\ufffd")
    if not distinct_id.strip():
        raise Rejected("missing_distinct_id", "The row has no `distinct_id`.")
    if len(distinct_id) > MAX_DISTINCT_ID:
        raise Rejected(
            "invalid_distinct_id",
            f"`distinct_id` is {len(distinct_id)} characters; at most {MAX_DISTINCT_ID}.",
        )
    timestamp = _time(row.get("timestamp"), "timestamp")
    if timestamp is None:
        raise Rejected("missing_timestamp", "The row has no `timestamp`.")
    properties = dict(_json_object(row, "properties"))
    for field, key in PERSON_OPERATIONS.items():
        if field in row:
            operations = _json_object(row, field)
            if operations:
                inner = properties.get(key)
                properties[key] = {**inner, **operations} if isinstance(inner, dict) else operations
    created_at = _time(row.get("created_at"), "created_at") or imported_at
    return {
        "uuid": _uuid(row.get("uuid"), [event, distinct_id, timestamp, properties]),
        "event": event,
        "distinct_id": distinct_id,
        "properties": properties,
        "timestamp": timestamp,
        "now": created_at,
        "sent_at": None,
        "history": True,
        "elements_chain": _text(row, "elements_chain"),
    }
