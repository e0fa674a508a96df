"""kill -9 while clients send: every acknowledged event is stored exactly once, and every
session counts exactly its acknowledged page views (the store writes sessions every few
seconds; a start after a kill aggregates again the events stored since the last write)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from nats_server import NatsServer

from readback import all_rows
from server import TOKEN, Server


def _sender(url: str, acked: list[dict[str, Any]], stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            batch = [
                {
                    "event": "$pageview",
                    "distinct_id": f"user-{rng.randrange(200)}",
                    "uuid": str(uuid.uuid4()),
                    "properties": {
                        "n": rng.random(),
                        "tags": ["a", "b"],
                        "$session_id": f"session-{rng.randrange(300)}",
                    },
                }
                for _ in range(rng.choice((1, 20, 50)))
            ]
            try:
                response = client.post(url + "/batch/", json={"api_key": TOKEN, "batch": batch})
            except httpx.HTTPError:
                continue  # the server died mid-request: not acknowledged
            if response.status_code == 200:
                acked.extend(batch)


def _stored_uuid_counts(server: Server) -> dict[str, int]:
    rows = all_rows(server, ["uuid", "count()"], orderBy=["uuid ASC"])
    return {uuid_: count for uuid_, count in rows}


def _session_page_views(server: Server) -> dict[str, int]:
    with server.api() as api:
        response = api.post(
            "/api/projects/1/query/",
            json={
                "query": {
                    "kind": "HogQLQuery",
                    "query": "SELECT session_id, $pageview_count FROM sessions LIMIT 10000",
                }
            },
        )
    assert response.status_code == 200, response.text
    return {session: count for session, count in response.json()["results"]}


@pytest.mark.parametrize("intake", ["sqlite", "jetstream"])
def test_sigkill_loses_no_acknowledged_event(tmp_path: Path, intake: str) -> None:
    """Run with both intake logs: the embedded one and JetStream (then the server is killed
    while its worker consumes the stream, and resumes from the offset kept in NATS)."""
    data = tmp_path / "data"
    env: dict[str, str] = {}
    nats = None
    if intake == "jetstream":
        nats = NatsServer(tmp_path / "nats").start()
        env["HEDGEROW_INTAKE_URL"] = nats.url
    server = Server(data, **env).start()
    acked: list[dict[str, Any]] = []
    rng = random.Random()
    for round_ in range(2):
        stop = threading.Event()
        threads = [
            threading.Thread(target=_sender, args=(server.url, acked, stop, round_ * 10 + i))
            for i in range(6)
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(1.5, 3.0))  # let load build, then kill at a random moment
        server.kill()
        stop.set()
        for thread in threads:
            thread.join()
        server = Server(data, port=server.port, **env).start()
    try:
        assert len(acked) > 2000, "the clients should have sent thousands of events"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.status()["queued"] > 0:
            time.sleep(0.1)
        counts = _stored_uuid_counts(server)
        assert max(counts.values()) == 1, "an event was stored twice"
        missing = [e["uuid"] for e in acked if e["uuid"] not in counts]
        assert missing == [], f"{len(missing)} acknowledged events were lost"
        status = server.status()
        assert status["processed"] == len(counts)
        assert status["received"] == status["processed"] + sum(status["discarded"].values())
        assert (data / "intake.sqlite3").exists() == (intake == "sqlite")
        # Each session counts its stored page views: every acknowledged one, and those
        # stored of a request the kill cut before it was acknowledged.
        stored = all_rows(
            server,
            ["properties.$session_id", "count()"],
            orderBy=["properties.$session_id ASC"],
        )
        sessions = _session_page_views(server)
        assert sessions == {session: count for session, count in stored}
        acked_views = Counter(e["properties"]["$session_id"] for e in acked)
        assert all(sessions[s] >= count for s, count in acked_views.items())
    finally:
        server.stop()
        if nats is not None:
            nats.stop()
