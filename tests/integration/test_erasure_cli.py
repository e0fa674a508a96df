"""`hedgerow persons delete` against a running server: it names what goes, follows the
job to the end, and the person and their events are gone, cached insight results with them;
an unknown id changes nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from server import API_KEY, TOKEN, Server


def _hedgerow(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hedgerow", "persons", "delete", *args]
    command += ["--project", "1", "--url", server.url, "--api-key", API_KEY]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


def test_persons_delete_command(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        batch = [
            {"event": "viewed", "distinct_id": did, "properties": {"$device_id": did}}
            for did in ["ann", "ann", "ben"]
        ]
        batch.append(
            {
                "event": "$identify",
                "distinct_id": "ann@x",
                "properties": {"$anon_distinct_id": "ann"},
            }
        )
        assert (
            httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch}).status_code
            == 200
        )
        server.wait_ingested(4)
        deadline = time.monotonic() + 30
        while len(server.events()) < 4:
            assert time.monotonic() < deadline
            time.sleep(0.05)

        total = {
            "kind": "TrendsQuery",
            "series": [{"kind": "EventsNode", "event": None, "math": "total"}],
            "dateRange": {"date_from": "-1d"},
        }
        assert server.query(total)["results"][0]["count"] == 4  # now in the result cache
        assert server.query(total)["is_cached"] is True

        unknown = _hedgerow(server, "nobody", "--yes")
        assert unknown.returncode == 1 and "no person" in unknown.stderr
        unconfirmed = _hedgerow(server, "ann@x", "--delete-events")
        assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
        assert len(server.events()) == 4

        done = _hedgerow(server, "ann@x", "--delete-events", "--yes")
        assert done.returncode == 0, done.stderr
        assert "2 distinct ids and all their events" in done.stdout
        assert "100.0%" in done.stderr
        assert "erased: 1 person, 2 distinct ids, 3 events" in done.stdout
        assert [e["distinct_id"] for e in server.events()] == ["ben"]
        assert server.query(total)["results"][0]["count"] == 1  # the cached result went
        with server.api() as client:
            for did in ("ann", "ann@x"):
                found = client.get("/api/projects/1/persons/", params={"distinct_id": did})
                assert found.json()["results"] == []
    finally:
        server.stop()
