"""`make serve` and `hedgerow serve` as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from server import API_KEY, TOKEN, Server, free_port

ROOT = Path(__file__).resolve().parents[2]


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            if httpx.get(url + "/_health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not become healthy")


def test_make_serve_takes_settings_from_the_environment(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "x"
    env = {**os.environ, "HEDGEROW_PORT": str(port), "HEDGEROW_DATA_DIR": str(data)}
    env.pop("HEDGEROW_PROJECT_TOKEN", None)
    env.pop("HEDGEROW_API_KEY", None)
    process = subprocess.Popen(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process)
        assert (data / "meta.sqlite3").exists()
        assert (data / "events.chdb").is_dir()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in output
    assert "project token:   phc_" in output
    assert "personal API key: phx_" in output


def test_sigterm_stops_cleanly_and_data_survives(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    response = httpx.post(
        server.url + "/e/", json={"event": "kept", "distinct_id": "u", "token": TOKEN}
    )
    assert response.status_code == 200
    server.wait_ingested(1)
    assert server.stop(signal.SIGTERM) == 0
    log = server.log_path.read_text()
    assert "Traceback" not in log
    assert f"project token:   {TOKEN}" in log
    assert f"personal API key: {API_KEY}" in log

    again = Server(tmp_path / "data", port=server.port).start()
    try:
        assert [e["event"] for e in again.events()] == ["kept"]
        assert again.status()["processed"] == 1
    finally:
        assert again.stop() == 0
