"""A throwaway nats-server with JetStream: its own free port and store directory.

`make test` installs Debian's nats-server when it is missing; a test that needs it and cannot
find it fails with that instruction (it is never skipped).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from server import free_port

NATS_SERVER = "nats-server"


def nats_server_binary() -> str:
    path = shutil.which(NATS_SERVER) or (
        "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
    )
    if path is None:
        raise RuntimeError(
            "nats-server is not installed: `make test` installs it (apt-get install -y "
            "nats-server), or install Debian's nats-server package yourself."
        )
    return path


class NatsServer:
    def __init__(self, store_dir: Path, *, port: int | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.log_path = store_dir.parent / f"{store_dir.name}-nats.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        command = [nats_server_binary(), "-js", "-a", "127.0.0.1", "-p", str(self.port)]
        command += ["-sd", str(self.store_dir)]
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child
        self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(15)
        self.process = None
