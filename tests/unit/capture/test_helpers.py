"""Capture helper processes: the same entries as in the server process, the same refusals,
and a helper that dies is replaced without losing the request it had."""

from __future__ import annotations

import asyncio
import os
import signal

import orjson
import pytest

from hedgerow.capture.helpers import HELPER_MIN_BYTES, CaptureHelpers, RefusedRequest
from hedgerow.capture.prepare import RequestFacts, prepare
from hedgerow.errors import HedgerowError

FACTS = RequestFacts(
    query={},
    content_type="application/json",
    content_encoding=None,
    legacy_path=False,
    engage=False,
    ip="203.0.113.9",
    received_at=1_760_000_000.25,
)


def _body(events: int = 1000) -> bytes:
    batch = [
        {
            "event": "Plan purchased",
            "distinct_id": f"user-{i}",
            "uuid": f"0190c3a5-0000-7000-8000-{i:012d}",
            "timestamp": "2025-10-09T08:53:20.250Z",
            "properties": {"planId": "pro", "price": i, "nested": {"a": [1, 2.5, None]}},
            "$set": {"email": f"user-{i}@example.com"},
        }
        for i in range(events)
    ]
    return orjson.dumps({"api_key": "phc_x", "batch": batch})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_helper_prepares_what_the_server_would() -> None:
    body = _body()
    assert len(body) >= HELPER_MIN_BYTES

    async def run() -> None:
        helpers = CaptureHelpers(2)
        await helpers.start()
        try:
            results = await asyncio.gather(*(helpers.prepare(body, FACTS) for _ in range(4)))
        finally:
            await helpers.close()
        expected = prepare(body, FACTS)
        assert all(result == expected for result in results)
        assert expected.count == 1000 and expected.token == "phc_x"

    asyncio.run(run())


@pytest.mark.parametrize(
    "body",
    [b"{not json" + b" " * 20_000, orjson.dumps({"batch": [{"event": "x"}] * 2000})],
)
def test_a_refusal_keeps_its_status_and_code(body: bytes) -> None:
    with pytest.raises(HedgerowError) as in_process:
        prepare(body, FACTS)

    async def run() -> None:
        helpers = CaptureHelpers(1)
        await helpers.start()
        try:
            with pytest.raises(RefusedRequest) as refused:
                await helpers.prepare(body, FACTS)
        finally:
            await helpers.close()
        assert refused.value.as_json() == in_process.value.as_json()
        assert refused.value.status == in_process.value.status

    asyncio.run(run())


def test_a_helper_that_dies_is_replaced_and_its_request_still_answered() -> None:
    body = _body()

    async def run() -> None:
        helpers = CaptureHelpers(1)
        await helpers.start()
        try:
            (before,) = helpers.pids()
            os.kill(before, signal.SIGKILL)
            await helpers._all[0].process.wait()  # dead before the next request
            result = await helpers.prepare(body, FACTS)
            assert result == prepare(body, FACTS)
            assert helpers.restarts == 1
            (after,) = helpers.pids()
            assert after != before
            assert await helpers.prepare(body, FACTS) == result  # the new helper works
        finally:
            await helpers.close()
        assert not _alive(after)

    asyncio.run(run())
