"""The real server hands big capture bodies to its helper processes: events arrive whole
and identical to small ones, a helper killed mid-run loses nothing, and stopping the server
stops its helpers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import orjson
import pytest

from hedgerow.capture.helpers import HELPER_MIN_BYTES

from server import TOKEN, Server


def _helpers(server: Server) -> list[int]:
    """Pids of the server's capture helpers (children running hedgerow.capture.helpers)."""
    assert server.process is not None
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == server.process.pid and b"hedgerow.capture.helpers" in command:
            found.append(int(entry.name))
    return found


def _batch(tag: str, count: int) -> bytes:
    events = [
        {
            "event": "Plan purchased",
            "distinct_id": f"{tag}-{i}",
            "properties": {"planId": "pro", "price": i, "tag": tag, "padding": "x" * 40},
        }
        for i in range(count)
    ]
    return orjson.dumps({"api_key": TOKEN, "batch": events})


@pytest.fixture
def server(tmp_path: Path) -> Server:
    started = Server(tmp_path / "data", HEDGEROW_CAPTURE_PROCESSES="2").start()
    yield started  # type: ignore[misc]
    if started.process is not None:
        started.stop()


def test_big_bodies_go_through_helpers_and_nothing_is_lost_when_one_dies(server: Server) -> None:
    pids = _helpers(server)
    assert len(pids) == 2
    big = _batch("first", 800)
    assert len(big) >= HELPER_MIN_BYTES
    assert httpx.post(server.url + "/batch/", content=big).status_code == 200
    os.kill(pids[0], signal.SIGKILL)
    for tag in ("second", "third", "fourth"):  # at least one reaches the dead helper
        response = httpx.post(server.url + "/batch/", content=_batch(tag, 800))
        assert response.status_code == 200, response.text
    small = {"api_key": TOKEN, "event": "Plan purchased", "distinct_id": "small-0"}
    assert httpx.post(server.url + "/e/", json=small).status_code == 200
    server.wait_ingested(3201)
    sql = "SELECT properties.tag, count(), uniqExact(distinct_id) FROM events GROUP BY 1"
    rows = server.query({"kind": "HogQLQuery", "query": sql})["results"]
    assert sorted(rows, key=str) == sorted(
        [
            ["first", 800, 800],
            ["fourth", 800, 800],
            ["second", 800, 800],
            ["third", 800, 800],
            [None, 1, 1],
        ],
        key=str,
    )
    assert "a capture helper stopped" in server.log_path.read_text()
    replacement = _helpers(server)
    assert len(replacement) == 2 and pids[0] not in replacement


def test_a_refusal_from_a_helper_reaches_the_client(server: Server) -> None:
    body = orjson.dumps({"api_key": TOKEN, "batch": [{"event": "no distinct id"}] * 5000})
    response = httpx.post(server.url + "/batch/", content=body)
    assert response.status_code == 400
    assert (
        response.json()["code"]
        == httpx.post(
            server.url + "/batch/", json={"api_key": TOKEN, "batch": [{"event": "no distinct id"}]}
        ).json()["code"]
    )


def test_stopping_the_server_stops_its_helpers(server: Server) -> None:
    pids = _helpers(server)
    assert pids
    assert server.stop() == 0
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


def test_without_helpers_big_bodies_are_prepared_in_the_server(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", HEDGEROW_CAPTURE_PROCESSES="0").start()
    try:
        assert _helpers(server) == []
        big = _batch("inside", 800)
        assert len(big) >= HELPER_MIN_BYTES
        assert httpx.post(server.url + "/batch/", content=big).status_code == 200
        server.wait_ingested(800)
        sql = "SELECT count(), uniqExact(distinct_id) FROM events WHERE properties.tag = 'inside'"
        assert server.query({"kind": "HogQLQuery", "query": sql})["results"] == [[800, 800]]
    finally:
        server.stop()
