from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hedgerow.capture.normalize import normalize_request
from hedgerow.errors import BadRequest, Unauthorized

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


def _one(event: dict[str, Any], **batch: Any) -> dict[str, Any]:
    payload: Any = (
        {"batch": [event], "api_key": "phc_t", **batch} if batch else {"token": "phc_t", **event}
    )
    return normalize_request(payload, engage=False, query={}, ip="10.0.0.1", now=NOW).events[0]


def test_timestamp_is_corrected_for_client_clock_skew() -> None:
    # The client's clock is 1 h behind: it says it sent at 11:00 an event from 10:50.
    event = _one(
        {"event": "e", "distinct_id": "u", "timestamp": "2026-11-24T10:50:00Z"},
        sent_at="2026-11-24T11:00:00Z",
    )
    assert event["timestamp"] == "2026-11-24 11:50:00.000000"
    assert event["sent_at"] == "2026-11-24 11:00:00.000000"
    assert event["now"] == "2026-11-24 12:00:00.000000"


def test_ignore_sent_at_keeps_the_timestamp() -> None:
    event = _one(
        {
            "event": "e",
            "distinct_id": "u",
            "timestamp": "2026-11-24T10:50:00+02:00",
            "properties": {"$ignore_sent_at": True},
        },
        sent_at="2026-11-24T11:00:00Z",
    )
    assert event["timestamp"] == "2026-11-24 08:50:00.000000"


def test_offset_wins_over_timestamp() -> None:
    event = _one(
        {"event": "e", "distinct_id": "u", "offset": 1500, "timestamp": "2020-01-01T00:00:00Z"}
    )
    assert event["timestamp"] == "2026-11-24 11:59:58.500000"


def test_sent_at_from_query_milliseconds() -> None:
    sent = int((NOW - timedelta(hours=2)).timestamp() * 1000)
    request = normalize_request(
        [{"event": "e", "distinct_id": "u", "token": "t", "timestamp": "2026-11-24T09:59:00Z"}],
        engage=False,
        query={"_": str(sent)},
        ip=None,
        now=NOW,
    )
    assert request.events[0]["timestamp"] == "2026-11-24 11:59:00.000000"


def test_more_than_23_hours_ahead_becomes_now() -> None:
    event = _one({"event": "e", "distinct_id": "u", "timestamp": "2026-11-25T11:30:00Z"})
    assert event["timestamp"] == "2026-11-24 12:00:00.000000"
    near = _one({"event": "e", "distinct_id": "u", "timestamp": "2026-11-25T10:30:00Z"})
    assert near["timestamp"] == "2026-11-25 10:30:00.000000"


def test_no_timestamp_is_now() -> None:
    assert _one({"event": "e", "distinct_id": "u"})["timestamp"] == "2026-11-24 12:00:00.000000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (42, "42"),
        (4.5, "4.5"),
        (True, "true"),
        ({"a": 1}, '{"a":1}'),
        ([1, 2], "[1,2]"),
        ("a\x00b", "a\ufffdb"),
        ("x" * 250, "x" * 200),
        ("  padded ", "  padded "),
    ],
)
def test_distinct_id_is_coerced_to_a_string(raw: Any, expected: str) -> None:
    assert _one({"event": "e", "distinct_id": raw})["distinct_id"] == expected


def test_distinct_id_falls_back_to_properties() -> None:
    event = _one({"event": "e", "properties": {"distinct_id": "from-props"}})
    assert event["distinct_id"] == "from-props"
    dollar = _one({"event": "e", "$distinct_id": "dollar"})
    assert dollar["distinct_id"] == "dollar"


def test_uuid_kept_or_generated_as_v7() -> None:
    given = str(uuid.uuid4())
    assert _one({"event": "e", "distinct_id": "u", "uuid": given.upper()})["uuid"] == given
    generated = uuid.UUID(_one({"event": "e", "distinct_id": "u", "uuid": ""})["uuid"])
    assert generated.version == 7
    millis = int.from_bytes(generated.bytes[:6], "big")
    assert millis == int(NOW.timestamp() * 1000)


def test_set_and_set_once_merge_into_properties_top_level_wins() -> None:
    event = _one(
        {
            "event": "e",
            "distinct_id": "u",
            "$set": {"a": 1, "b": 2},
            "$set_once": {"c": 3},
            "properties": {"$set": {"a": 0, "z": 9}, "x": None},
        }
    )
    assert event["properties"] == {
        "$set": {"a": 1, "z": 9, "b": 2},
        "x": None,
        "$set_once": {"c": 3},
        "$ip": "10.0.0.1",
    }


def test_ip_is_kept_when_the_client_sent_one() -> None:
    event = _one({"event": "e", "distinct_id": "u", "properties": {"$ip": "1.2.3.4"}})
    assert event["properties"]["$ip"] == "1.2.3.4"


def test_token_precedence() -> None:
    batch = {
        "api_key": "phc_batch",
        "batch": [{"event": "e", "distinct_id": "u", "token": "phc_event"}],
    }
    assert normalize_request(batch, engage=False, query={}, ip=None).token == "phc_batch"
    event = {
        "event": "e",
        "distinct_id": "u",
        "$token": "phc_dollar",
        "properties": {"token": "phc_props"},
    }
    assert normalize_request(event, engage=False, query={}, ip=None).token == "phc_dollar"
    props = {"event": "e", "distinct_id": "u", "properties": {"token": "phc_props"}}
    assert normalize_request(props, engage=False, query={}, ip=None).token == "phc_props"
    with pytest.raises(Unauthorized):
        normalize_request({"event": "e", "distinct_id": "u"}, engage=False, query={}, ip=None)


def test_engage_object_becomes_identify() -> None:
    request = normalize_request(
        {"$set": {"email": "a@b.c"}, "distinct_id": "u", "token": "t"},
        engage=True,
        query={},
        ip=None,
        now=NOW,
    )
    assert request.events[0]["event"] == "$identify"
    assert request.events[0]["properties"]["$set"] == {"email": "a@b.c"}
    with pytest.raises(BadRequest) as refused:
        normalize_request({"distinct_id": "u", "token": "t"}, engage=False, query={}, ip=None)
    assert refused.value.code == "missing_event_name"
