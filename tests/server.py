"""Start the real `hedgerow serve` as a user would, and talk to it over HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

TOKEN = "phc_test_token_1"
API_KEY = "phx_test_key_1"

# What `Server(...)` of `hedgerow serve` starts: "embedded" (one process), or "cluster"
# (`pytest --configuration=cluster`, set by conftest.py): the split processes of
# split_server.py, behind the same interface, so the suites run unchanged on either.
CONFIGURATION = "embedded"
# Why tests marked `cluster_defect` with it fail on the split processes (not yet fixed).
PER_WORKER_COUNTS = (
    "the ingestion status (received, processed, discarded, buffered) and the ingestion "
    "warnings are kept per worker in its data directory, and `hedgerow web` answers none of "
    "the workers' (docs/deploy.md, limits of this step; engineer buffer17 works on it)"
)


def poll(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 60) -> Any:
    """`read()` again every 0.1 s until `done` holds for its value (which is returned);
    fails with the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value):
        assert time.monotonic() < deadline, f"timed out; last: {value}"
        time.sleep(0.1)
        value = read()
    return value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __new__(
        cls, data_dir: Path, *, port: int | None = None, command: str = "serve", **env: str
    ) -> Server:
        if cls is Server and command == "serve" and CONFIGURATION == "cluster":
            from split_server import SplitServer

            return super().__new__(SplitServer)
        return super().__new__(cls)

    def __init__(
        self, data_dir: Path, *, port: int | None = None, command: str = "serve", **env: str
    ) -> None:
        self.data_dir = data_dir
        self.command = command  # serve, or capture (any that answers /_health)
        self.port = port or free_port()
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        suffix = "server" if command == "serve" else f"{command}-{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}-{suffix}.log"

    def start(self, timeout: float = 30) -> Server:
        env = {
            **os.environ,
            "HEDGEROW_DATA_DIR": str(self.data_dir),
            "HEDGEROW_PORT": str(self.port),
            "HEDGEROW_PROJECT_TOKEN": TOKEN,
            "HEDGEROW_API_KEY": API_KEY,
            "HEDGEROW_BUFFER_DELAY": "0",
            **self.env,
        }
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hedgerow", self.command], env=env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/_health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def create_project(self, name: str, timezone: str | None = None) -> tuple[int, str, str]:
        """A new project made with `hedgerow project create` beside the running server:
        (project id, project token, personal API key)."""
        command = [sys.executable, "-m", "hedgerow", "project", "create", "--name", name]
        if timezone is not None:
            command += ["--timezone", timezone]
        command += ["--data-dir", str(self.data_dir)]
        env = {**os.environ, **self.env}  # HEDGEROW_PERSONS_URL: the same app tables
        out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
        project_id = re.search(r"project id:\s+(\d+)", out)
        token = re.search(r"project token:\s+(\S+)", out)
        key = re.search(r"personal API key:\s+(\S+)", out)
        assert project_id and token and key, out
        return int(project_id.group(1)), token.group(1), key.group(1)

    # -- API helpers -----------------------------------------------------------------

    def api(self, key: str = API_KEY) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )

    def query(self, query: dict[str, Any], project: int = 1) -> dict[str, Any]:
        with self.api() as client:
            response = client.post(f"/api/projects/{project}/query/", json={"query": query})
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def events(self, **query: Any) -> list[dict[str, Any]]:
        """All stored events (as `*` objects) matching an EventsQuery."""
        body = {"kind": "EventsQuery", "select": ["*"], "limit": 10_000, **query}
        return [row[0] for row in self.query(body)["results"]]

    def status(self, project: int = 1, key: str = API_KEY) -> dict[str, Any]:
        with self.api(key) as client:
            response = client.get(f"/api/projects/{project}/ingestion/")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def wait_ingested(
        self, received: int, project: int = 1, timeout: float = 30, key: str = API_KEY
    ) -> dict[str, Any]:
        """Poll until ingestion has handled `received` events and nothing is queued."""
        deadline = time.monotonic() + timeout
        status = self.status(project, key)
        while time.monotonic() < deadline:
            status = self.status(project, key)
            if status["received"] >= received and status["queued"] == 0:
                return status
            time.sleep(0.05)
        raise AssertionError(f"ingestion did not reach {received} events: {status}")
