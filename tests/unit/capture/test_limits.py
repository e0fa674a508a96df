"""The capture limits applied while a body is prepared: events per request, one event's
size, property depth; the same refusals in the server process and in a helper process."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from hedgerow.capture.helpers import CaptureHelpers, RefusedRequest
from hedgerow.capture.normalize import normalize_request
from hedgerow.capture.prepare import PrepareLimits, RequestFacts, prepare
from hedgerow.errors import HedgerowError

FACTS = RequestFacts(
    query={},
    content_type="application/json",
    content_encoding=None,
    legacy_path=False,
    engage=False,
    ip=None,
    received_at=1_760_000_000.0,
)


def _event(**fields: Any) -> dict[str, Any]:
    return {"event": "e", "distinct_id": "u", "token": "phc_x", **fields}


def _nested(levels: int) -> Any:
    value: Any = 1
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


def _refusal(payload: Any, **limits: int) -> tuple[int, str]:
    with pytest.raises(HedgerowError) as caught:
        normalize_request(payload, engage=False, query={}, ip=None, **limits)
    return caught.value.status, caught.value.code


def test_events_per_request() -> None:
    assert (
        len(normalize_request([_event()] * 3, engage=False, query={}, ip=None, max_events=3).events)
        == 3
    )
    assert _refusal([_event()] * 4, max_events=3) == (413, "too_many_events")


@pytest.mark.parametrize(
    "event",
    [
        _event(properties={"deep": _nested(4)}),
        _event(properties={"$set": {"deep": _nested(4)}}),
        _event(properties={"$set_once": {"deep": _nested(4)}}),
        _event(**{"$set": {"deep": _nested(4)}}),
        _event(**{"$set_once": {"deep": _nested(4)}}),
        _event(properties={"list": [1, {"x": _nested(3)}]}),
    ],
)
def test_property_nested_past_the_limit_is_refused(event: dict[str, Any]) -> None:
    assert _refusal(event, max_property_depth=3) == (400, "properties_too_deep")


def test_property_nested_up_to_the_limit_is_kept() -> None:
    event = _event(properties={"deep": _nested(3), "flat": 1}, **{"$set": {"deep": _nested(3)}})
    normalized = normalize_request(event, engage=False, query={}, ip=None, max_property_depth=3)
    assert normalized.events[0]["properties"]["deep"] == _nested(3)
    assert normalized.events[0]["properties"]["$set"] == {"deep": _nested(3)}


def test_one_event_over_the_size_limit_refuses_the_request() -> None:
    small, big = _event(properties={"p": "x" * 100}), _event(properties={"p": "x" * 2000})
    limits = PrepareLimits(max_event_size=1000)
    prepared = prepare(orjson.dumps([small, small]), FACTS, limits)
    assert prepared.payload == orjson.dumps(orjson.loads(prepared.payload))  # valid, compact
    assert prepared.count == 2
    with pytest.raises(HedgerowError) as caught:
        prepare(orjson.dumps([small, big]), FACTS, limits)
    assert (caught.value.status, caught.value.code) == (413, "event_too_large")


def test_limits_travel_to_the_helpers() -> None:
    """A helper refuses what the server process refuses, under the limits it was given."""
    limits = PrepareLimits(max_batch_events=10, max_property_depth=2, max_event_size=10_000)
    cases = {
        "too_many_events": [_event(properties={"pad": "x" * 7000})] * 11,
        "properties_too_deep": [_event(properties={"pad": "x" * 7000, "d": _nested(3)})] * 10,
        "event_too_large": [_event(properties={"pad": "x" * 70_000})],
    }

    async def run() -> None:
        helpers = CaptureHelpers(1, limits)
        await helpers.start()
        try:
            for code, events in cases.items():
                body = orjson.dumps(events)
                with pytest.raises(RefusedRequest) as caught:
                    await helpers.prepare(body, FACTS)
                assert caught.value.code == code
                with pytest.raises(HedgerowError) as in_process:
                    prepare(body, FACTS, limits)
                assert (caught.value.status, caught.value.message) == (
                    in_process.value.status,
                    in_process.value.message,
                )
        finally:
            await helpers.close()

    asyncio.run(run())
