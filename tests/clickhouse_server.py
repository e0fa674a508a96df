"""A throwaway ClickHouse server: the ClickHouse that chDB ships, listening on free ports.

No registry these machines reach has a current `clickhouse-server` (docs/deploy.md lists what
was tried), but chDB's engine is ClickHouse's own, and from ClickHouse 26.x on its local mode
starts the server's HTTP and native (TCP) handlers on `SYSTEM START LISTEN`. The child
process (`clickhouse_listener.py`, run with this Python) keeps them open on 127.0.0.1 over a
temporary data directory until SIGTERM. Clients speak plain ClickHouse HTTP to it: nothing
in Hedgerow knows it is not a packaged server.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from server import free_port

LISTENER = Path(__file__).with_name("clickhouse_listener.py")


class ClickHouseServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="hedgerow-ch-"))
        self.http_port = free_port()
        self.tcp_port = free_port()
        self.url = f"clickhouse://default@127.0.0.1:{self.http_port}"
        self.log_path = self.root / "listener.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> ClickHouseServer:
        command = [sys.executable, str(LISTENER), str(self.root)]
        command += [str(self.http_port), str(self.tcp_port)]
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child
        self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the ClickHouse listener exited: {self._log_tail()}")
            if self.answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"ClickHouse did not start listening: {self._log_tail()}")

    def answers(self) -> bool:
        """True when the HTTP interface answers its health check (`/ping` says Ok.)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/ping", timeout=1) as r:
                return bool(r.read().startswith(b"Ok"))
        except (OSError, urllib.error.URLError):
            return False

    def query(self, sql: str) -> str:
        """One statement over HTTP (for tests that look behind the store)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/", data=sql.encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return str(response.read().decode())

    def reset(self) -> None:
        """Drop Hedgerow's database: the next store opened on the server starts empty."""
        self.query("DROP DATABASE IF EXISTS hedgerow SYNC")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]
