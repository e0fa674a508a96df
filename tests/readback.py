"""Reading what was sent back through the public API, and comparing it exactly."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from server import Server


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def wait_for_events(
    server: Server, event: str, count: int, distinct_id: str | None = None, timeout: float = 30
) -> list[dict[str, Any]]:
    """Stored events named `event` (of `distinct_id`, if given), once there are `count`."""
    deadline = time.monotonic() + timeout
    while True:
        rows = server.events(event=event)
        if distinct_id is not None:
            rows = [row for row in rows if row["distinct_id"] == distinct_id]
        if len(rows) >= count or time.monotonic() > deadline:
            assert len(rows) == count, f"expected {count} {event!r} events, found {len(rows)}"
            return rows
        time.sleep(0.05)


def all_rows(server: Server, select: list[str], **query: Any) -> list[list[Any]]:
    """Every row of an EventsQuery, page after page (one page holds at most 10,000 rows).
    Give an `orderBy` that sorts rows uniquely, so that pages neither skip nor repeat."""
    rows: list[list[Any]] = []
    while True:
        body = {"kind": "EventsQuery", "select": select, "limit": 10_000, "offset": len(rows)}
        page = server.query({**body, **query})
        rows.extend(page["results"])
        if not page["hasMore"]:
            return rows


def wait_for_person(
    server: Server, distinct_id: str, expected: dict[str, Any], timeout: float = 30
) -> dict[str, Any]:
    """The person of `distinct_id`, once its properties include `expected` (types too)."""
    deadline = time.monotonic() + timeout
    while True:
        with server.api() as api:
            response = api.get("/api/projects/1/persons/", params={"distinct_id": distinct_id})
        response.raise_for_status()
        people = response.json()["results"]
        if people and as_json(subset(people[0]["properties"], expected)) == as_json(expected):
            return dict(people[0])
        if time.monotonic() > deadline:
            raise AssertionError(f"person of {distinct_id!r} never had {expected}: {people}")
        time.sleep(0.05)


def subset(properties: dict[str, Any], keys: dict[str, Any]) -> dict[str, Any]:
    return {key: properties[key] for key in keys if key in properties}


def as_json(value: Any) -> str:
    """JSON text that tells 1, 1.0 and True apart, so comparisons check types as well."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def assert_properties(
    stored: dict[str, Any], sent: dict[str, Any], sdk_properties: dict[str, Any]
) -> None:
    """Every sent property is stored with the same value and JSON type; extras are SDK keys."""
    assert as_json(subset(stored, sent)) == as_json(sent)
    assert as_json(subset(stored, sdk_properties)) == as_json(sdk_properties)
    extra = set(stored) - set(sent)
    assert all(key.startswith("$") for key in extra), f"unexpected keys {extra}"


def parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def assert_close(stored: str, expected: datetime, tolerance: float = 2.0) -> None:
    """An API timestamp (ISO, ending in Z) within `tolerance` seconds of `expected`."""
    assert stored.endswith("Z"), stored
    difference = abs((parse_time(stored) - expected).total_seconds())
    assert difference <= tolerance, f"stored {stored}, expected {expected.isoformat()}"
