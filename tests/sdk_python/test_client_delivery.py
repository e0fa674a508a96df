"""hedgerow-client's delivery rules, seen from a stub endpoint that answers as told.

Batching by size and by interval, the wire format, which answers are retried (network
errors, 408, 429, 5xx) and which are final (other 4xx), backoff, the bounded queue that
drops with a count and a log line instead of blocking, and shutdown's deadline.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from hedgerow_client import Client, RetryPolicy

from capture_stub import CaptureStub, Reply
from server import free_port

FAST_RETRIES = {"retry_base_delay": 0.01, "max_retry_delay": 0.05}


@pytest.fixture()
def stub() -> Iterator[CaptureStub]:
    instance = CaptureStub().start()
    yield instance
    instance.stop()


def test_a_batch_is_the_posthog_batch_object_gzipped(stub: CaptureStub) -> None:
    with Client("phc_stub", host=stub.url, flush_interval=60) as client:
        returned = client.capture("Order created", distinct_id=42, properties={"n": 1})
        before = datetime.now(UTC)
        assert client.flush(10)

    [request] = stub.requests
    assert request.path == "/batch/"
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("hedgerow-client/")
    assert request.body["api_key"] == "phc_stub"
    assert request.body["historical_migration"] is False
    assert abs((datetime.fromisoformat(request.body["sent_at"]) - before).total_seconds()) < 5
    [event] = request.body["batch"]
    assert event["uuid"] == returned
    assert uuid.UUID(returned).version == 7
    assert event["distinct_id"] == "42"
    assert event["properties"]["n"] == 1
    assert event["properties"]["$lib"] == "hedgerow-client"


def test_plain_json_and_a_host_with_a_path_prefix(stub: CaptureStub) -> None:
    with Client("phc_stub", host=stub.url + "/analytics/", gzip=False) as client:
        client.capture("Plain", distinct_id="u1")
    [request] = stub.requests
    assert request.path == "/analytics/batch/"
    assert "Content-Encoding" not in request.headers


def test_batches_are_sent_by_size_then_the_rest_on_flush(stub: CaptureStub) -> None:
    client = Client("phc_stub", host=stub.url, flush_at=10, max_batch_size=10, flush_interval=60)
    sent = [client.capture("Sized", distinct_id="u1", properties={"i": i}) for i in range(25)]
    assert len(stub.wait_for(20)) == 20
    assert len(stub.requests) == 2  # the last 5 wait for the interval, an hour away
    assert client.flush(10)
    assert [e["uuid"] for e in stub.delivered()] == sent
    assert [len(r.body["batch"]) for r in stub.requests] == [10, 10, 5]
    client.shutdown()


def test_a_lone_event_is_sent_after_the_interval_without_flush(stub: CaptureStub) -> None:
    client = Client("phc_stub", host=stub.url, flush_at=1000, flush_interval=0.2)
    sent = client.capture("Lonely", distinct_id="u1")
    assert [e["uuid"] for e in stub.wait_for(1)] == [sent]
    client.shutdown()


def test_the_caller_cannot_change_an_event_after_capture(stub: CaptureStub) -> None:
    properties = {"cart": {"items": ["apple"]}}
    with Client("phc_stub", host=stub.url, flush_interval=60) as client:
        client.capture("Snapshot", distinct_id="u1", properties=properties)
        properties["cart"]["items"].append("pear")
    [event] = stub.delivered()
    assert event["properties"]["cart"] == {"items": ["apple"]}


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_answers_are_retried_with_the_same_uuids(stub: CaptureStub, status: int) -> None:
    stub.replies = [Reply(status), Reply(status)]
    with Client("phc_stub", host=stub.url, flush_interval=60, **FAST_RETRIES) as client:
        sent = [client.capture("Retried", distinct_id="u1") for _ in range(3)]
        assert client.flush(10)
        stats = client.stats

    assert [r.status for r in stub.requests] == [status, status, 200]
    assert all(r.uuids == sent for r in stub.requests)
    # sent_at is stamped per attempt, so waiting in retries does not shift the timestamps
    assert len({r.body["sent_at"] for r in stub.requests}) == 3
    assert (stats.sent, stats.failed, stats.retries, stats.batches) == (3, 0, 2, 1)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_other_client_errors_are_final(
    stub: CaptureStub, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    stub.replies = [Reply(status)]
    with Client("phc_stub", host=stub.url, flush_interval=60, **FAST_RETRIES) as client:
        client.capture("Refused", distinct_id="u1")
        client.capture("Refused", distinct_id="u1")
        assert client.flush(10)
        stats = client.stats

    assert [r.status for r in stub.requests] == [status]
    assert (stats.captured, stats.sent, stats.failed, stats.retries) == (2, 0, 2, 0)
    assert stats.last_error == f"HTTP {status}: stub says no"
    assert "2 event(s) were not delivered" in caplog.text


def test_retry_after_is_honoured(stub: CaptureStub) -> None:
    stub.replies = [Reply(429, {"Retry-After": "0.3"})]
    with Client("phc_stub", host=stub.url, flush_interval=60, **FAST_RETRIES) as client:
        client.capture("Slow down", distinct_id="u1")
        assert client.flush(10)
    assert [r.status for r in stub.requests] == [429, 200]


def test_connection_refused_is_retried_until_the_server_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "hedgerow_client")
    port = free_port()
    client = Client(
        "phc_stub",
        host=f"http://127.0.0.1:{port}",
        flush_interval=60,
        **FAST_RETRIES,
        max_retries=1000,
    )
    sent = [client.capture("Early", distinct_id="u1", properties={"i": i}) for i in range(5)]
    threading.Thread(target=client.flush, daemon=True).start()
    while client.stats.retries < 3:
        threading.Event().wait(0.01)
    stub = CaptureStub(port).start()
    try:
        assert client.flush(10)
        assert [e["uuid"] for e in stub.delivered()] == sent
        assert client.stats.sent == 5
        assert "ConnectionRefusedError" in caplog.text
    finally:
        client.shutdown()
        stub.stop()


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(max_retries=10, base_delay=0.5, max_delay=30)
    for attempt, ceiling in enumerate([0.5, 1, 2, 4, 8, 16, 30, 30]):
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempt, delays)
        assert len(delays) > 1  # jittered
    assert policy.delay(0, retry_after=5) >= 5
    assert policy.delay(0, retry_after=3600) <= 30


def test_retries_give_up_after_max_retries(stub: CaptureStub) -> None:
    stub.replies = [Reply(503)] * 4
    with Client(
        "phc_stub", host=stub.url, flush_interval=60, max_retries=2, **FAST_RETRIES
    ) as client:
        client.capture("Doomed", distinct_id="u1")
        assert client.flush(10)
        stats = client.stats
    assert len(stub.requests) == 3
    assert (stats.sent, stats.failed, stats.retries) == (0, 1, 2)
    assert "after 3 attempts" in (stats.last_error or "")


def test_a_full_queue_drops_counts_and_logs_without_blocking(
    stub: CaptureStub, caplog: pytest.LogCaptureFixture
) -> None:
    """The server hangs on the first batch; capture keeps returning and drops past the bound."""
    hold = threading.Event()
    stub.replies = [Reply(200, hold=hold)]
    client = Client("phc_stub", host=stub.url, flush_at=10, max_queue_size=50, max_batch_size=10)
    done = threading.Event()

    def capture_many() -> None:
        for i in range(1000):
            client.capture("Flood", distinct_id="u1", properties={"i": i})
        done.set()

    threading.Thread(target=capture_many, daemon=True).start()
    assert done.wait(30), "capture() blocked while the server was not answering"
    stats = client.stats
    assert stats.captured == 1000
    assert stats.dropped >= 1000 - 50 - 10
    assert stats.dropped + client.pending == 1000
    drops = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(drops) == 1  # one line, not one per event
    assert "the queue is full (50 events waiting;" in drops[0].getMessage()
    assert drops[0].levelno == logging.WARNING

    hold.set()
    assert client.shutdown(10)
    assert len(stub.delivered()) == 1000 - stats.dropped
    assert client.stats.sent == 1000 - stats.dropped


def test_shutdown_gives_up_at_its_deadline_when_the_server_is_gone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(
        "phc_stub", host=f"http://127.0.0.1:{free_port()}", flush_interval=60, shutdown_timeout=0.5
    )
    for _ in range(20):
        client.capture("Lost", distinct_id="u1")
    assert client.shutdown() is False
    stats = client.stats
    assert (stats.captured, stats.sent, stats.failed) == (20, 0, 20)
    assert "not delivered" in caplog.text or "were not sent" in caplog.text


@pytest.mark.parametrize("sync_mode", [False, True], ids=["background", "sync"])
def test_events_after_shutdown_are_dropped_and_counted(
    stub: CaptureStub, caplog: pytest.LogCaptureFixture, sync_mode: bool
) -> None:
    client = Client("phc_stub", host=stub.url, sync_mode=sync_mode)
    client.shutdown()
    client.capture("Too late", distinct_id="u1")
    assert client.stats.dropped == 1
    assert "after shutdown()" in caplog.text
    assert stub.requests == []


def test_sync_mode_sends_before_capture_returns(stub: CaptureStub) -> None:
    stub.replies = [Reply(503)]
    client = Client("phc_stub", host=stub.url, sync_mode=True, **FAST_RETRIES)
    sent = client.capture("Now", distinct_id="u1")
    assert [r.status for r in stub.requests] == [503, 200]
    assert stub.requests[-1].uuids == [sent]
    assert client.stats.sent == 1
    client.shutdown()


def test_disabled_sends_nothing_but_still_checks(stub: CaptureStub) -> None:
    client = Client("phc_stub", host=stub.url, disabled=True)
    assert uuid.UUID(client.capture("Quiet", distinct_id="u1"))
    with pytest.raises(ValueError, match="needs a distinct_id"):
        client.capture("Quiet", distinct_id=None)  # type: ignore[arg-type]
    client.flush()
    client.shutdown()
    assert stub.requests == []


def test_an_oversized_event_is_dropped_with_a_log_line(
    stub: CaptureStub, caplog: pytest.LogCaptureFixture
) -> None:
    with Client("phc_stub", host=stub.url, flush_interval=60) as client:
        client.capture("Huge", distinct_id="u1", properties={"blob": "x" * 1_000_000})
        client.capture("Small", distinct_id="u1")
        assert client.flush(10)
        stats = client.stats
    assert [e["event"] for e in stub.delivered()] == ["Small"]
    assert (stats.captured, stats.sent, stats.failed) == (2, 1, 1)
    assert "over the 921600-byte limit" in caplog.text


def test_a_forked_child_sends_its_own_events_once(stub: CaptureStub) -> None:
    """gunicorn --preload style: the parent's queue is not sent twice, uuids never collide."""
    client = Client("phc_stub", host=stub.url, flush_interval=60)
    client.capture("Before fork", distinct_id="parent")
    pid = os.fork()
    if pid == 0:  # the child: exit without running pytest's cleanup
        code = 2
        try:
            for _ in range(5):
                client.capture("In child", distinct_id="child")
            code = 0 if client.shutdown(10) and client.stats.sent == 5 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    client.capture("After fork", distinct_id="parent")
    assert client.shutdown(10)

    events = stub.delivered()
    names = sorted(event["event"] for event in events)
    assert names == ["After fork", "Before fork"] + ["In child"] * 5
    assert len({event["uuid"] for event in events}) == 7
