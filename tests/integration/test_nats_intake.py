"""The real server with `--intake-url nats://...`: a real nats-server of the test's own."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from posthog import Posthog

from nats_server import NatsServer

from readback import all_rows
from server import TOKEN, Server


@pytest.fixture()
def nats_hedgerow(nats_server: NatsServer, tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "data", HEDGEROW_INTAKE_URL=nats_server.url).start()
    yield server
    if server.process is not None:
        server.stop()


def _batch(*uuids: str, event: str = "nats-test") -> dict[str, object]:
    events = [
        {"event": event, "distinct_id": "u1", "uuid": u, "properties": {"n": 1}} for u in uuids
    ]
    return {"api_key": TOKEN, "batch": events}


def _stored(server: Server) -> Counter[str]:
    return Counter({u: n for u, n in all_rows(server, ["uuid", "count()"], orderBy=["uuid ASC"])})


def _wait_drained(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while server.status()["queued"] > 0 or server.status()["received"] == 0:
        assert time.monotonic() < deadline, f"ingestion did not drain: {server.status()}"
        time.sleep(0.1)


def test_events_from_posthog_python_and_http_are_stored_once(
    nats_hedgerow: Server, tmp_path: Path
) -> None:
    server = nats_hedgerow
    client = Posthog(TOKEN, host=server.url, sync_mode=True)
    sent = [str(uuid.uuid4()) for _ in range(5)]
    for n, event_uuid in enumerate(sent):
        client.capture("sdk event", distinct_id="alice", properties={"n": n}, uuid=event_uuid)
    client.shutdown()
    retried = [str(uuid.uuid4()) for _ in range(3)]
    with httpx.Client(timeout=10) as http:
        for _ in range(2):  # a client's retry of the same request
            assert http.post(server.url + "/batch/", json=_batch(*retried)).status_code == 200
    server.wait_ingested(8)
    stored = _stored(server)
    assert stored == Counter({u: 1 for u in sent + retried})
    rows = all_rows(server, ["uuid", "properties.n"], orderBy=["uuid ASC"])
    assert {u: n for u, n in rows if u in sent} == {u: n for n, u in enumerate(sent)}
    # JetStream dropped the retried publish: ingestion received 8 events, not 11.
    assert server.status()["received"] == 8
    assert not (tmp_path / "data" / "intake.sqlite3").exists()


Outcomes = list[tuple[int, str | None, list[str]]]  # status, error code, the uuids sent


def _sender(url: str, outcomes: Outcomes, stop: threading.Event) -> None:
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            uuids = [str(uuid.uuid4()) for _ in range(10)]
            try:
                response = client.post(url + "/batch/", json=_batch(*uuids))
            except httpx.HTTPError:
                continue
            code = response.json().get("code") if response.status_code != 200 else None
            outcomes.append((response.status_code, code, uuids))
            time.sleep(0.01)


def test_nats_server_stopped_while_capturing(
    nats_server: NatsServer, nats_hedgerow: Server
) -> None:
    """While NATS is away capture answers 503 `intake_unavailable` (never 200 for an event
    not stored); once it is back capture resumes by itself, and every 200 was stored once."""
    outcomes: Outcomes = []
    stop = threading.Event()
    sender = threading.Thread(target=_sender, args=(nats_hedgerow.url, outcomes, stop))
    sender.start()
    try:
        _wait_for(lambda: sum(status == 200 for status, _, _ in outcomes) >= 20)
        nats_server.stop(sig=9)  # SIGKILL: what was acknowledged must be on its disk
        _wait_for(lambda: any(code == "intake_unavailable" for _, code, _ in outcomes))
        with nats_hedgerow.api() as api:
            status = api.get("/api/projects/1/ingestion/")
        assert status.status_code == 503 and status.json()["code"] == "intake_unavailable"
        refused_at = len(outcomes)
        nats_server.start()
        _wait_for(lambda: any(status == 200 for status, _, _ in outcomes[refused_at:]))
        resumed_at = len(outcomes)
        _wait_for(lambda: len(outcomes) > resumed_at + 20)
    finally:
        stop.set()
        sender.join()
    codes = Counter(code for status, code, _ in outcomes if status != 200)
    assert set(codes) == {"intake_unavailable"}, codes
    assert {status for status, _, _ in outcomes} == {200, 503}
    acked = [u for status, _, uuids in outcomes if status == 200 for u in uuids]
    _wait_for(lambda: nats_hedgerow.status()["queued"] == 0, timeout=60)
    stored = _stored(nats_hedgerow)
    assert max(stored.values()) == 1, "an event was stored twice"
    missing = [u for u in acked if u not in stored]
    assert missing == [], f"{len(missing)} acknowledged events were lost"


def test_a_full_stream_answers_intake_full_then_capture_resumes(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    pause_file = tmp_path / "pause"
    server = Server(
        tmp_path / "data",
        HEDGEROW_INTAKE_URL=nats_server.url,
        HEDGEROW_INTAKE_STREAM_MAX_MSGS="3",
        HEDGEROW_INGESTION_PAUSE_FILE=str(pause_file),
    ).start()
    try:
        pause_file.touch()
        _wait_for(lambda: server.status()["paused"])
        with httpx.Client(timeout=10) as http:
            for i in range(3):
                assert (
                    http.post(
                        server.url + "/batch/", json=_batch(f"{i:08d}-0000-4000-8000-000000000000")
                    ).status_code
                    == 200
                )
            refused = http.post(server.url + "/batch/", json=_batch(str(uuid.uuid4())))
            assert refused.status_code == 503
            assert refused.json()["code"] == "intake_full"
            assert server.status()["queued"] == 3
            pause_file.unlink()
            _wait_for(lambda: server.status()["queued"] == 0)
            last = str(uuid.uuid4())
            _wait_for(
                lambda: http.post(server.url + "/batch/", json=_batch(last)).status_code == 200
            )
        server.wait_ingested(4)
        assert sum(_stored(server).values()) == 4
    finally:
        server.stop()


def _wait_for(check: object, timeout: float = 30) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.05)
