"""`hedgerow capture` and `hedgerow ingest` as processes of their own, sharing the intake
stream on a real nats-server (and the data directory for the embedded stores)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from posthog import Posthog

from ingest_process import Ingest
from nats_server import NatsServer

from readback import all_rows
from server import TOKEN, Server


def _batch(*uuids: str) -> dict[str, object]:
    events = [{"event": "split", "distinct_id": f"d{u[:4]}", "uuid": u} for u in uuids]
    return {"api_key": TOKEN, "batch": events}


def _stored(server: Server) -> Counter[str]:
    return Counter({u: n for u, n in all_rows(server, ["uuid", "count()"], orderBy=["uuid ASC"])})


def test_two_capture_processes_beside_serve(nats_server: NatsServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"HEDGEROW_INTAKE_URL": nats_server.url}
    serve = Server(data, **env).start()
    captures = [Server(data, command="capture", **env).start() for _ in range(2)]
    try:
        sent: list[str] = []
        with httpx.Client(timeout=10) as http:
            for capture in captures:
                uuids = [str(uuid.uuid4()) for _ in range(20)]
                assert http.post(capture.url + "/batch/", json=_batch(*uuids)).status_code == 200
                sent += uuids
        sdk = Posthog(TOKEN, host=captures[1].url, sync_mode=True)
        sdk_uuid = str(uuid.uuid4())
        sdk.capture("from the sdk", distinct_id="alice", uuid=sdk_uuid)
        sdk.shutdown()
        serve.wait_ingested(41)
        assert _stored(serve) == Counter({u: 1 for u in [*sent, sdk_uuid]})
        # A capture process has the capture endpoints only.
        assert httpx.get(captures[0].url + "/api/projects/").status_code == 404
    finally:
        for capture in captures:
            capture.stop()
        serve.stop()


def test_capture_and_ingest_processes_with_a_sigkill(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """One capture and one ingest process; ingest is killed while it works and started
    again. Every acknowledged event is stored exactly once (read back through `serve`,
    started afterwards on the same data directory)."""
    data = tmp_path / "data"
    env = {"HEDGEROW_INTAKE_URL": nats_server.url}
    ingest = Ingest(data, env).start()
    capture = Server(data, command="capture", **env).start()
    acked: list[str] = []
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(timeout=10) as http:
            while not stop.is_set():
                uuids = [str(uuid.uuid4()) for _ in range(20)]
                try:
                    response = http.post(capture.url + "/batch/", json=_batch(*uuids))
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    acked.extend(uuids)

    sender = threading.Thread(target=send)
    sender.start()
    try:
        time.sleep(2)  # let ingestion work, then kill it mid-way
        assert ingest.stop(signal.SIGKILL) == -signal.SIGKILL
        ingest.start()
        time.sleep(1)
    finally:
        stop.set()
        sender.join()
    time.sleep(2)  # ingest takes what is left
    # `hedgerow web` cannot open the event store while `ingest` has it (chDB: one process).
    refused = subprocess.run(
        [sys.executable, "-m", "hedgerow", "web", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert refused.returncode == 2 and "another process" in refused.stderr, refused.stderr
    assert ingest.stop() == 0
    capture.stop()
    web = Server(data, command="web", **env).start()  # once ingest is gone, it can
    try:
        stored_by_ingest = sum(_stored(web).values())
        assert stored_by_ingest > 0, "hedgerow ingest stored nothing"
        assert httpx.post(web.url + "/batch/", json=_batch(str(uuid.uuid4()))).status_code == 404
    finally:
        web.stop()
    serve = Server(data, **env).start()
    try:
        assert sum(_stored(serve).values()) >= stored_by_ingest
        deadline = time.monotonic() + 60
        while serve.status()["queued"] > 0:
            assert time.monotonic() < deadline, serve.status()
            time.sleep(0.1)
        stored = _stored(serve)
        assert len(acked) > 200
        assert max(stored.values()) == 1, "an event was stored twice"
        missing = [u for u in acked if u not in stored]
        assert missing == [], f"{len(missing)} acknowledged events were lost"
    finally:
        serve.stop()


def test_web_beside_ingest_with_the_events_on_clickhouse(
    nats_server: NatsServer, clickhouse_url: str, tmp_path: Path
) -> None:
    """With the events on a ClickHouse server, `hedgerow web` answers queries while
    `hedgerow ingest` stores what two capture processes take: every acknowledged event is
    read back through web, once, while ingest still runs."""
    data = tmp_path / "data"
    env = {"HEDGEROW_INTAKE_URL": nats_server.url, "HEDGEROW_EVENTS_URL": clickhouse_url}
    ingest = Ingest(data, env).start()
    captures = [Server(data, command="capture", **env).start() for _ in range(2)]
    web = Server(data, command="web", **env).start()
    try:
        sent: list[str] = []
        with httpx.Client(timeout=10) as http:
            for n in range(6):
                uuids = [str(uuid.uuid4()) for _ in range(20)]
                response = http.post(captures[n % 2].url + "/batch/", json=_batch(*uuids))
                assert response.status_code == 200
                sent += uuids
        deadline = time.monotonic() + 60
        while len(stored := _stored(web)) < len(sent):
            assert time.monotonic() < deadline, f"{len(stored)} of {len(sent)} stored"
            time.sleep(0.2)
        assert stored == Counter(dict.fromkeys(sent, 1))
        assert ingest.process is not None and ingest.process.poll() is None
    finally:
        web.stop()
        for capture in captures:
            capture.stop()
        ingest.stop()


def test_split_processes_need_the_stream(tmp_path: Path) -> None:
    for command in ("capture", "ingest"):
        done = subprocess.run(
            [sys.executable, "-m", "hedgerow", command, "--data-dir", str(tmp_path / "d")],
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "HEDGEROW_INTAKE_URL"},
            timeout=60,
        )
        assert done.returncode == 2
        assert "--intake-url" in done.stderr
