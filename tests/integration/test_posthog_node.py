"""The official posthog-node SDK sends to the real server; what it sent is what is stored.

`tests/node/send_events.mjs` drives posthog-node 5.70.0 from a JSON spec. Values here are
the ones JavaScript keeps as they are (no integral floats, integers within 2**53), so what
Python wrote into the spec is exactly what the SDK sends and the server must store.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from readback import (
    as_json,
    assert_close,
    assert_properties,
    unique,
    wait_for_events,
    wait_for_person,
)
from server import TOKEN, Server

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
SCRIPT = NODE_DIR / "send_events.mjs"
NODE_VERSION = json.loads((NODE_DIR / "node_modules/posthog-node/package.json").read_text())[
    "version"
]

SDK_PROPERTIES = {"$lib": "posthog-node", "$lib_version": NODE_VERSION, "$geoip_disable": True}

RICH_PROPERTIES: dict[str, Any] = {
    "plan": "Pro",
    "seats": 7,
    "zero": 0,
    "negative": -42,
    "max_safe_int": 2**53 - 1,
    "price": 19.99,
    "tiny_float": 1e-7,
    "huge_float": 1.5e300,
    "trial": True,
    "churned": False,
    "coupon": None,
    "empty_string": "",
    "empty_object": {},
    "empty_list": [],
    "tags": ["a", "b", "a"],
    "mixed_list": [1, 2.5, "three", None, True, {"four": [4]}, [5, [6]]],
    "nested": {"level1": {"level2": {"level3": [1, {"deep": [True, None, "x"]}, []]}}},
    "emoji": "🦔 hedgehog 👩‍👩‍👧 🇳🇱",
    "cjk": "漢字 かな カナ 한국어",
    "rtl": "שלום עולם مرحبا بالعالم",
    "combining": "e\u0301 n\u0303",
    "escapes": 'quote " backslash \\ slash / tab \t newline \n',
    "a.dotted.key": "dots stay in the key",
    "key with spaces": "spaces too",
    "ключ": "unicode key",
}


def iso_ms(value: datetime) -> str:
    """A JavaScript Date's precision and format: milliseconds, `Z`."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def send_with_node(server: Server, events: list[dict[str, Any]], **options: Any) -> None:
    spec = {"host": server.url, "token": TOKEN, "events": events, **options}
    result = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=NODE_DIR,
        check=False,
    )
    assert result.returncode == 0, f"node failed: {result.stdout}\n{result.stderr}"
    assert json.loads(result.stdout) == {"sent": len(events), "errors": []}


@pytest.mark.parametrize(
    "options",
    [
        {"flushAt": 1, "disableCompression": True},
        {"flushAt": 20, "disableCompression": False},
    ],
    ids=["one-per-request-json", "batched-gzip"],
)
def test_capture_round_trips_every_json_type(server: Server, options: dict[str, Any]) -> None:
    event, distinct_id = unique("node rich"), unique("node-user")
    timestamps = {
        str(uuid.uuid4()): datetime(2025, 6, 1, 12, 30, 45, 123000, tzinfo=UTC),
        str(uuid.uuid4()): datetime.now(UTC).replace(microsecond=0) - timedelta(days=3),
        str(uuid.uuid4()): datetime(2019, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
    }
    events = [
        {
            "type": "capture",
            "distinctId": distinct_id,
            "event": event,
            "properties": {**RICH_PROPERTIES, "index": index},
            "timestamp": iso_ms(timestamp),
            "uuid": event_uuid,
        }
        for index, (event_uuid, timestamp) in enumerate(timestamps.items())
    ]

    send_with_node(server, events, **options)

    stored = {row["uuid"]: row for row in wait_for_events(server, event, len(events))}
    assert set(stored) == set(timestamps)
    for index, (event_uuid, timestamp) in enumerate(timestamps.items()):
        row = stored[event_uuid]
        assert row["event"] == event
        assert row["distinct_id"] == distinct_id
        assert row["elements_chain"] == ""
        assert row["person_id"]
        assert_properties(row["properties"], {**RICH_PROPERTIES, "index": index}, SDK_PROPERTIES)
        assert_close(row["timestamp"], timestamp)


def test_generated_uuids_and_times_are_kept(server: Server) -> None:
    """Without a uuid or timestamp, posthog-node makes a UUIDv7 and stamps the send time."""
    event, distinct_id = unique("node defaults"), unique("node-user")
    events = [
        {"type": "capture", "distinctId": distinct_id, "event": event, "properties": {"n": n}}
        for n in range(25)
    ]

    before = datetime.now(UTC)
    send_with_node(server, events, flushAt=20)
    after = datetime.now(UTC)

    stored = wait_for_events(server, event, 25)
    assert sorted(row["properties"]["n"] for row in stored) == list(range(25))
    assert len({row["uuid"] for row in stored}) == 25
    for row in stored:
        assert uuid.UUID(row["uuid"]).version == 7
        stamp = datetime.fromisoformat(row["timestamp"])
        assert before - timedelta(seconds=2) <= stamp <= after + timedelta(seconds=2)
        assert_properties(row["properties"], {"n": row["properties"]["n"]}, SDK_PROPERTIES)


def test_identify_sets_person_properties(server: Server) -> None:
    distinct_id = unique("node-person")
    person_properties = {
        "email": "grace@example.com",
        "name": "Grace Hopper ⚓",
        "languages": ["en", "עברית", "中文"],
        "address": {"city": "Arlington", "geo": {"lat": 38.88, "lon": -77.1}},
        "age": 85,
        "admiral": True,
        "nickname": None,
    }
    event = unique("node after identify")

    send_with_node(
        server,
        [
            {"type": "identify", "distinctId": distinct_id, "properties": person_properties},
            {"type": "capture", "distinctId": distinct_id, "event": event, "properties": {}},
        ],
        flushAt=20,
    )

    person = wait_for_person(server, distinct_id, person_properties)
    assert distinct_id in person["distinct_ids"]
    [identify] = wait_for_events(server, "$identify", 1, distinct_id=distinct_id)
    assert as_json(identify["properties"]["$set"]) == as_json(person_properties)
    assert identify["properties"]["$lib"] == "posthog-node"
    [after] = wait_for_events(server, event, 1)
    assert after["person_id"] == person["id"]
