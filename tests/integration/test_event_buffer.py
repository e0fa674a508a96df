"""The event buffer: a backend event of a not-yet-known user waits for the browser's
$identify, survives restarts, and is counted while it waits."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from posthog import Posthog

from readback import unique
from server import PER_WORKER_COUNTS, TOKEN, Server

DELAY = 2.0


def _post(server: Server, event: str, distinct_id: str, **properties: object) -> str:
    event_uuid = str(uuid.uuid4())
    body = {
        "event": event,
        "distinct_id": distinct_id,
        "uuid": event_uuid,
        "token": TOKEN,
        "properties": properties,
    }
    assert httpx.post(server.url + "/e/", json=body).status_code == 200
    return event_uuid


def _wait(
    server: Server, condition: Callable[[dict[str, Any]], bool], timeout: float = 30
) -> dict[str, Any]:
    """Poll the ingestion status until `condition` holds for it."""
    deadline = time.monotonic() + timeout
    while True:
        status = server.status()
        if condition(status):
            return status
        assert time.monotonic() < deadline, f"status never matched: {status}"
        time.sleep(0.05)


def _balanced(status: dict[str, Any]) -> bool:
    discarded = status["discarded"]
    return status["received"] == (
        status["processed"] + status["buffered"] + sum(discarded.values())
    )


@pytest.mark.cluster_defect(PER_WORKER_COUNTS)
def test_scenario_with_buffer_lands_every_event_on_one_person(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", HEDGEROW_BUFFER_DELAY=str(DELAY)).start()
    try:
        anon, user = unique("XYZ"), unique("alice") + "@example.com"
        uuids = [
            _post(server, "$pageview", anon, **{"$device_id": anon}),
            _post(server, "$autocapture", anon, **{"$device_id": anon, "$event_type": "click"}),
        ]
        backend = Posthog(TOKEN, host=server.url, sync_mode=True)
        signup = backend.capture("User signed up", distinct_id=user, properties={"plan": "pro"})
        backend.shutdown()
        assert isinstance(signup, str)
        uuids.append(signup)
        status = _wait(server, lambda s: s["buffered"] == 1 and s["processed"] == 2)
        assert _balanced(status)
        assert 0 < status["buffered_next_release_seconds"] <= DELAY
        uuids.append(
            _post(server, "$identify", user, **{"$anon_distinct_id": anon, "$device_id": anon})
        )
        status = _wait(server, lambda s: s["processed"] == 4 and s["buffered"] == 0)
        assert _balanced(status)
        rows = server.query({"kind": "EventsQuery", "select": ["uuid", "person_id"], "limit": 100})[
            "results"
        ]
        persons = {u: p for u, p in rows if u in uuids}
        assert len(persons) == 4 and len(set(persons.values())) == 1
        assert server.query({"kind": "EventsQuery", "select": ["count(DISTINCT person_id)"]})[
            "results"
        ] == [[1]]
        # The buffer made the merge unnecessary: nothing needs an override.
        assert status["person_overrides"] == 0
    finally:
        server.stop()


@pytest.mark.cluster_defect(PER_WORKER_COUNTS)
def test_buffered_events_survive_kill_and_keep_their_order(tmp_path: Path) -> None:
    delay = 3.0
    data = tmp_path / "data"
    server = Server(data, HEDGEROW_BUFFER_DELAY=str(delay)).start()
    user = unique("bob")
    sent_at = time.time()
    uuids = [_post(server, f"step {i}", user, n=i) for i in range(5)]
    status = _wait(server, lambda s: s["buffered"] == 5)
    assert status["processed"] == 0
    server.stop(signal.SIGKILL)

    server = Server(data, port=server.port, HEDGEROW_BUFFER_DELAY=str(delay)).start()
    try:
        assert server.status()["buffered"] == 5  # still held after the restart
        status = _wait(server, lambda s: s["processed"] == 5 and s["buffered"] == 0)
        released_by = time.time()
        assert released_by - sent_at >= delay  # not released early
        assert _balanced(status)
        rows = server.query(
            {
                "kind": "EventsQuery",
                "select": ["uuid", "properties.n"],
                "orderBy": ["created_at ASC"],
                "limit": 100,
            }
        )["results"]
        assert sorted(r[0] for r in rows) == sorted(uuids)  # each once
        stored = server.events()
        assert len(stored) == 5
        assert len({e["person_id"] for e in stored}) == 1
    finally:
        server.stop()


@pytest.mark.cluster_defect(PER_WORKER_COUNTS)
def test_known_and_anonymous_users_are_not_held(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", HEDGEROW_BUFFER_DELAY="30").start()
    try:
        _post(server, "$pageview", "anon-1", **{"$device_id": "anon-1"})
        _post(server, "$identify", "carol", **{"$anon_distinct_id": "anon-1"})
        _post(server, "Order created", "carol")  # carol has a person now
        _post(server, "personless", "dave", **{"$process_person_profile": False})
        _post(server, "held", "erin")
        status = _wait(server, lambda s: s["received"] == 5 and s["processed"] == 4)
        assert status["buffered"] == 1
        assert _balanced(status)
        assert sorted(e["event"] for e in server.events()) == [
            "$identify",
            "$pageview",
            "Order created",
            "personless",
        ]
    finally:
        server.stop()
