"""The official posthog-python SDK sends to the real server; what it sent is what is stored.

Every event is read back through the query API and compared with what the SDK was given:
properties with their JSON types, the uuid, the timestamp, and person properties from `set()`.
Also checks, with a raw request, that the server corrects a client clock that is off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from posthog import Posthog
from posthog.version import VERSION

from readback import (
    as_json,
    assert_close,
    assert_properties,
    parse_time,
    subset,
    unique,
    wait_for_events,
    wait_for_person,
)
from server import TOKEN, Server

# Keys posthog-python adds to every event, with the values they must have.
SDK_PROPERTIES = {
    "$lib": "posthog-python",
    "$lib_version": VERSION,
    "$geoip_disable": True,
    "$is_server": True,
}

RICH_PROPERTIES: dict[str, Any] = {
    "plan": "Pro",
    "seats": 7,
    "zero": 0,
    "negative": -42,
    "big_int": 2**63 - 1,
    "beyond_js_safe_int": 2**53 + 1,
    "price": 19.99,
    "whole_float": 3.0,
    "tiny_float": 1e-7,
    "huge_float": 1.5e300,
    "negative_zero": -0.0,
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
    "$set": {"name": "Ada", "address": {"city": "Zürich", "zip": "8001"}},
}


@pytest.fixture(params=[False, True], ids=["json", "gzip"])
def client(request: pytest.FixtureRequest, server: Server) -> Iterator[Posthog]:
    """posthog-python sending one request per call, plain JSON or `Content-Encoding: gzip`."""
    instance = Posthog(
        project_api_key=TOKEN,
        host=server.url,
        sync_mode=True,
        gzip=request.param,
        max_retries=0,
        enable_local_evaluation=False,
    )
    yield instance
    instance.shutdown()


def test_capture_round_trips_every_json_type(server: Server, client: Posthog) -> None:
    event, distinct_id, event_uuid = unique("py rich"), unique("py-user"), str(uuid.uuid4())
    sent_time = datetime(2025, 6, 1, 12, 30, 45, 123456, tzinfo=UTC)

    returned = client.capture(
        event,
        distinct_id=distinct_id,
        properties=RICH_PROPERTIES,
        timestamp=sent_time,
        uuid=event_uuid,
    )

    assert returned == event_uuid
    [stored] = wait_for_events(server, event, 1)
    assert stored["uuid"] == event_uuid
    assert stored["event"] == event
    assert stored["distinct_id"] == distinct_id
    assert stored["elements_chain"] == ""
    assert stored["person_id"]
    assert_properties(stored["properties"], RICH_PROPERTIES, SDK_PROPERTIES)
    assert_close(stored["timestamp"], sent_time)
    person = wait_for_person(server, distinct_id, RICH_PROPERTIES["$set"])
    assert person["id"] == stored["person_id"]


def test_past_timestamps_in_any_zone_are_stored_in_utc(server: Server, client: Posthog) -> None:
    event, distinct_id = unique("py times"), unique("py-user")
    now = datetime.now(UTC)
    india = timezone(timedelta(hours=5, minutes=30))
    pacific = timezone(timedelta(hours=-8))
    sent = {
        str(uuid.uuid4()): now - timedelta(hours=1),
        str(uuid.uuid4()): (now - timedelta(days=30)).astimezone(india),
        str(uuid.uuid4()): datetime(2019, 12, 31, 23, 59, 59, 999000, tzinfo=pacific),
        str(uuid.uuid4()): datetime(2024, 2, 29, 0, 0, 0, tzinfo=UTC),
    }
    for index, (event_uuid, timestamp) in enumerate(sent.items()):
        client.capture(
            event,
            distinct_id=distinct_id,
            properties={"index": index},
            timestamp=timestamp,
            uuid=event_uuid,
        )

    stored = {row["uuid"]: row for row in wait_for_events(server, event, len(sent))}
    assert set(stored) == set(sent)
    for event_uuid, timestamp in sent.items():
        assert_close(stored[event_uuid]["timestamp"], timestamp.astimezone(UTC))
        assert stored[event_uuid]["properties"]["index"] == list(sent).index(event_uuid)


def test_uuid_returned_by_capture_is_the_stored_one(server: Server, client: Posthog) -> None:
    event, distinct_id = unique("py generated uuid"), unique("py-user")

    before = datetime.now(UTC)
    returned = client.capture(event, distinct_id=distinct_id, properties={"plain": "event"})
    after = datetime.now(UTC)

    [stored] = wait_for_events(server, event, 1)
    assert returned is not None
    assert stored["uuid"] == returned
    assert_properties(stored["properties"], {"plain": "event"}, SDK_PROPERTIES)
    stamp = parse_time(stored["timestamp"])
    assert before - timedelta(seconds=2) <= stamp <= after + timedelta(seconds=2)


def test_set_updates_the_person(server: Server, client: Posthog) -> None:
    distinct_id = unique("py-person")
    person_properties = {
        "email": "ada@example.com",
        "name": "Ada Lovelace 🧮",
        "languages": ["en", "עברית", "中文"],
        "address": {"city": "Zürich", "geo": {"lat": 47.37, "lon": 8.54}},
        "age": 36,
        "vip": True,
        "nickname": None,
    }
    event_name = unique("py set then capture")

    client.set(distinct_id=distinct_id, properties=person_properties)
    client.capture(event_name, distinct_id=distinct_id, properties={"after": "set"})

    person = wait_for_person(server, distinct_id, person_properties)
    assert distinct_id in person["distinct_ids"]
    assert as_json(subset(person["properties"], person_properties)) == as_json(person_properties)
    [set_event] = wait_for_events(server, "$set", 1, distinct_id=distinct_id)
    assert as_json(set_event["properties"]["$set"]) == as_json(person_properties)
    assert_properties(set_event["properties"], {"$set": person_properties}, SDK_PROPERTIES)
    [after] = wait_for_events(server, event_name, 1)
    assert after["person_id"] == person["id"]


def test_background_batches_arrive_whole(server: Server) -> None:
    """The default, threaded client: a queue flushed as one `/batch/` request of many events."""
    event, distinct_id = unique("py batched"), unique("py-user")
    start = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    client = Posthog(
        project_api_key=TOKEN,
        host=server.url,
        flush_at=100,
        flush_interval=60,
        gzip=True,
        max_retries=0,
        enable_local_evaluation=False,
    )
    sent: dict[str, datetime] = {}
    try:
        for index in range(25):
            timestamp = start + timedelta(minutes=index)
            event_uuid = client.capture(
                event,
                distinct_id=distinct_id,
                properties={"index": index, "label": f"événement {index}"},
                timestamp=timestamp,
            )
            assert event_uuid is not None
            sent[event_uuid] = timestamp
        client.flush()
    finally:
        client.shutdown()

    stored = {row["uuid"]: row for row in wait_for_events(server, event, 25)}
    assert set(stored) == set(sent)
    for event_uuid, timestamp in sent.items():
        row = stored[event_uuid]
        index = row["properties"]["index"]
        assert row["properties"]["label"] == f"événement {index}"
        assert timestamp == start + timedelta(minutes=index)
        assert_close(row["timestamp"], timestamp)


@pytest.mark.parametrize("with_sent_at", [True, False], ids=["sent_at", "no_sent_at"])
def test_clock_skew_is_corrected_from_sent_at(server: Server, with_sent_at: bool) -> None:
    """A client whose clock is an hour slow: its events land at the server's idea of the time.

    The batch says it was sent an hour ago and the event happened ten minutes before that, so
    the server stores now - 10 min (`now + (timestamp - sent_at)`). Without `sent_at` there is
    nothing to correct with, and the timestamp is stored as sent.
    """
    event, distinct_id = unique("py skewed clock"), unique("py-user")
    client_now = datetime.now(UTC) - timedelta(hours=1)
    timestamp = client_now - timedelta(minutes=10)
    body: dict[str, Any] = {
        "api_key": TOKEN,
        "historical_migration": False,
        "batch": [
            {
                "event": event,
                "distinct_id": distinct_id,
                "properties": {"$lib": "posthog-python"},
                "timestamp": timestamp.isoformat(),
                "uuid": str(uuid.uuid4()),
            }
        ],
    }
    if with_sent_at:
        body["sent_at"] = client_now.isoformat()

    before = datetime.now(UTC)
    response = httpx.post(f"{server.url}/batch/", json=body, timeout=30)
    after = datetime.now(UTC)

    assert response.status_code == 200
    assert response.json() == {"status": 1}
    [stored] = wait_for_events(server, event, 1)
    stamp = parse_time(stored["timestamp"])
    if with_sent_at:
        low = before - timedelta(minutes=10, seconds=3)
        high = after - timedelta(minutes=10) + timedelta(seconds=3)
        assert low <= stamp <= high, f"stored {stamp}, expected about now - 10 min"
    else:
        assert stamp == timestamp
