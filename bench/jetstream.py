"""A throwaway nats-server with JetStream for benchmarks (free port, temporary store)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from common import free_port


class JetStreamServer:
    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="hedgerow-bench-nats-")
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> JetStreamServer:
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        if not Path(binary).exists():
            raise SystemExit("nats-server is not installed: apt-get install -y nats-server")
        store = Path(self.tmp.name) / "store"
        command = [binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(store)]
        with open(Path(self.tmp.name) / "nats.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(15)
        self.tmp.cleanup()
