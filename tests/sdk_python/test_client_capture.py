"""hedgerow-client sends to the real server; what it was given is what is stored.

Events are read back through the query API: properties with their JSON types, uuids given or
generated, timestamps, super properties; `identify`, `set`, `set_once`, `alias` and
`group_identify` are checked through the persons they produce. Bad arguments fail at the
call with an error that says what to pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from hedgerow_client import VERSION, Client

from readback import (
    as_json,
    assert_close,
    assert_properties,
    parse_time,
    unique,
    wait_for_events,
    wait_for_person,
)
from server import TOKEN, Server

SDK_PROPERTIES = {"$lib": "hedgerow-client", "$lib_version": VERSION}

PROPERTIES: dict[str, Any] = {
    "plan": "Pro",
    "seats": 7,
    "big_int": 2**63 - 1,
    "price": 19.99,
    "whole_float": 3.0,
    "trial": True,
    "coupon": None,
    "empty_object": {},
    "tags": ["a", "b", "a"],
    "nested": {"level1": {"level2": [1, {"deep": [True, None, "x"]}, []]}},
    "emoji": "🦔 hedgehog 👩‍👩‍👧",
    "escapes": 'quote " backslash \\ newline \n',
    "a.dotted.key": "dots stay in the key",
    "ключ": "unicode key",
}


@pytest.fixture(params=["background-gzip", "background-json", "sync"])
def client(request: pytest.FixtureRequest, server: Server) -> Iterator[Client]:
    instance = Client(
        TOKEN,
        host=server.url,
        super_properties={"source": "backend"},
        gzip=request.param != "background-json",
        sync_mode=request.param == "sync",
        flush_interval=60,  # nothing leaves before flush(), in background modes
    )
    yield instance
    instance.shutdown()


def test_the_guides_order_created_event(server: Server, client: Client) -> None:
    distinct_id, order_id = unique("customer"), unique("ord")
    properties = {"orderId": order_id, "subtotal": 49.99, "customerName": "Ada Lovelace"}

    returned = client.capture("Order created", distinct_id=distinct_id, properties=properties)
    client.flush()

    [stored] = wait_for_events(server, "Order created", 1, distinct_id=distinct_id)
    assert stored["uuid"] == returned
    assert_properties(stored["properties"], {**properties, "source": "backend"}, SDK_PROPERTIES)
    assert stored["person_id"]


def test_properties_uuid_and_timestamp_round_trip(server: Server, client: Client) -> None:
    event, distinct_id, event_uuid = unique("sdk rich"), unique("sdk-user"), str(uuid.uuid4())
    sent_time = datetime(2025, 6, 1, 12, 30, 45, 123456, tzinfo=UTC)

    returned = client.capture(
        event,
        distinct_id=distinct_id,
        properties=PROPERTIES,
        timestamp=sent_time,
        uuid=uuid.UUID(event_uuid),
        groups={"company": "acme"},
    )
    client.flush()

    assert returned == event_uuid
    [stored] = wait_for_events(server, event, 1)
    assert stored["uuid"] == event_uuid
    assert stored["distinct_id"] == distinct_id
    expected = {**PROPERTIES, "source": "backend", "$groups": {"company": "acme"}}
    assert_properties(stored["properties"], expected, SDK_PROPERTIES)
    assert_close(stored["timestamp"], sent_time)


def test_python_values_are_sent_as_their_json(server: Server, client: Client) -> None:
    event, distinct_id = unique("sdk python values"), unique("sdk-user")
    order_uuid = uuid.uuid4()
    client.capture(
        event,
        distinct_id=distinct_id,
        properties={
            "total": Decimal("12.50"),
            "count": Decimal("3"),
            "ordered_on": date(2026, 3, 1),
            "paid_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
            "order": order_uuid,
            "sizes": ("S", "M"),
            "source": "override",  # an event's own property wins over the super property
        },
    )
    client.flush()

    [stored] = wait_for_events(server, event, 1)
    expected = {
        "total": 12.5,
        "count": 3,
        "ordered_on": "2026-03-01",
        "paid_at": "2026-03-01T09:00:00+00:00",
        "order": str(order_uuid),
        "sizes": ["S", "M"],
        "source": "override",
    }
    assert as_json({k: stored["properties"][k] for k in expected}) == as_json(expected)


def test_generated_uuids_and_timestamps_in_any_zone(server: Server, client: Client) -> None:
    event, distinct_id = unique("sdk times"), unique("sdk-user")
    now = datetime.now(UTC)
    india = timezone(timedelta(hours=5, minutes=30))
    sent = [
        None,
        (now - timedelta(days=30)).astimezone(india),
        datetime(2019, 12, 31, 23, 59, 59, 999000, tzinfo=timezone(timedelta(hours=-8))),
        (now - timedelta(hours=2)).astimezone().replace(tzinfo=None),  # naive: local time
    ]
    uuids = [
        client.capture(event, distinct_id=distinct_id, properties={"i": i}, timestamp=stamp)
        for i, stamp in enumerate(sent)
    ]
    client.flush()

    stored = {row["uuid"]: row for row in wait_for_events(server, event, len(sent))}
    assert set(stored) == set(uuids)
    for i, (event_uuid, stamp) in enumerate(zip(uuids, sent, strict=True)):
        row = stored[event_uuid]
        assert row["properties"]["i"] == i
        expected = now if stamp is None else stamp.astimezone(UTC)
        assert_close(row["timestamp"], expected, tolerance=5 if stamp is None else 2)


def test_identify_merges_the_anonymous_person(server: Server, client: Client) -> None:
    anonymous, user = unique("anon"), unique("alice")
    event = unique("sdk before sign-in")
    client.capture(event, distinct_id=anonymous, properties={"$device_id": anonymous})
    client.flush()
    wait_for_events(server, event, 1)

    client.identify(
        user,
        {"email": "alice@example.com", "plan": "free"},
        set_once={"first_plan": "free"},
        anon_distinct_id=anonymous,
    )
    client.identify(user, {"plan": "pro"}, set_once={"first_plan": "pro"})
    client.flush()

    expected = {"email": "alice@example.com", "plan": "pro", "first_plan": "free"}
    person = wait_for_person(server, user, expected)
    assert set(person["distinct_ids"]) == {anonymous, user}
    assert person["is_identified"] is True
    assert wait_for_person(server, anonymous, expected)["id"] == person["id"]
    [before] = wait_for_events(server, event, 1)
    assert before["person_id"] == person["id"]


def test_set_and_set_once_update_person_properties(server: Server, client: Client) -> None:
    user = unique("bob")
    client.set(user, {"name": "Bob", "address": {"city": "Zürich"}})
    client.set_once(user, {"name": "Robert", "signed_up": "2026-01-01"})
    client.set(user, {"vip": True})
    client.flush()

    expected = {"name": "Bob", "address": {"city": "Zürich"}, "signed_up": "2026-01-01"}
    person = wait_for_person(server, user, {**expected, "vip": True})
    assert person["distinct_ids"] == [user]


def test_alias_makes_one_person_of_two_ids(server: Server, client: Client) -> None:
    previous, current = unique("guest-cart"), unique("carol")
    client.capture(unique("sdk carted"), distinct_id=previous)
    client.set(current, {"email": "carol@example.com"})
    client.flush()
    wait_for_person(server, current, {"email": "carol@example.com"})

    client.alias(previous, current)
    client.flush()

    person = wait_for_person(server, previous, {"email": "carol@example.com"})
    assert set(person["distinct_ids"]) == {previous, current}
    [alias] = wait_for_events(server, "$create_alias", 1, distinct_id=previous)
    assert alias["properties"]["alias"] == current


def test_group_identify_sends_the_group(server: Server, client: Client) -> None:
    key = unique("acme")
    returned = client.group_identify("company", key, {"name": "Acme", "employees": 50})
    client.flush()

    [stored] = wait_for_events(server, "$groupidentify", 1, distinct_id=f"$company_{key}")
    assert stored["uuid"] == returned
    properties = stored["properties"]
    assert (properties["$group_type"], properties["$group_key"]) == ("company", key)
    assert properties["$group_set"] == {"name": "Acme", "employees": 50}


def test_a_missing_distinct_id_is_a_clear_error() -> None:
    client = Client(TOKEN, host="http://127.0.0.1:9", disabled=True)
    with pytest.raises(TypeError, match="distinct_id"):
        client.capture("Order created")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="'Order created' needs a distinct_id"):
        client.capture("Order created", distinct_id=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="blank distinct_id"):
        client.capture("Order created", distinct_id="  ")
    with pytest.raises(TypeError, match="must be a str, int or UUID, not dict"):
        client.capture("Order created", distinct_id={"id": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a distinct_id"):
        client.identify(None)  # type: ignore[arg-type]


def test_other_bad_arguments_fail_at_the_call() -> None:
    client = Client(TOKEN, host="http://127.0.0.1:9", disabled=True)
    with pytest.raises(ValueError, match="event name must be a non-empty string"):
        client.capture("", distinct_id="u1")
    with pytest.raises(ValueError, match="uuid must be a UUID"):
        client.capture("e", distinct_id="u1", uuid="order-17")
    with pytest.raises(TypeError, match="timestamp must be a datetime"):
        client.capture("e", distinct_id="u1", timestamp="2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot be sent as JSON"):
        loop: dict[str, Any] = {}
        loop["self"] = loop
        client.capture("e", distinct_id="u1", properties=loop)
    with pytest.raises(ValueError, match="personal API key"):
        Client("phx_secret", host="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="host must be an http"):
        Client(TOKEN, host="ftp://example.com")
    with pytest.raises(ValueError, match="A job needs a name"):
        client.job("")


def test_super_properties_can_be_registered_later(server: Server) -> None:
    event, distinct_id = unique("sdk register"), unique("sdk-user")
    with Client(TOKEN, host=server.url) as client:
        client.capture(event, distinct_id=distinct_id, properties={"i": 0})
        client.register({"source": "backend", "region": "eu"})
        client.capture(event, distinct_id=distinct_id, properties={"i": 1})
        client.unregister("region")
        client.capture(event, distinct_id=distinct_id, properties={"i": 2})

    rows = sorted(wait_for_events(server, event, 3), key=lambda row: row["properties"]["i"])
    assert [(r["properties"].get("source"), r["properties"].get("region")) for r in rows] == [
        (None, None),
        ("backend", "eu"),
        ("backend", None),
    ]
    assert parse_time(rows[0]["timestamp"]) <= parse_time(rows[2]["timestamp"])
