"""A throwaway PostgreSQL cluster: Debian's binaries, its own free port and data directory.

`make test` installs Debian's `postgresql` when it is missing; a test that needs it and cannot
find it fails with that instruction (it is never skipped). `initdb` refuses to run as root,
so as root the cluster is made and run as the `postgres` system user (the child processes
switch to it; the data lives in a directory of /tmp it owns).
Connections are trusted on 127.0.0.1 only; the database is `hedgerow`.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from server import free_port

BIN_GLOB = "/usr/lib/postgresql/*/bin"
SYSTEM_USER = "postgres"


def postgres_bin_dir() -> Path:
    """The newest installed version's bin directory (whatever the version)."""
    found = [Path(p) for p in glob.glob(BIN_GLOB) if (Path(p) / "initdb").exists()]
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: `make test` installs it (apt-get install -y "
            "postgresql), or install Debian's postgresql package yourself."
        )
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def _as_cluster_user() -> dict[str, Any]:
    """`subprocess` arguments that run a child as the `postgres` system user when we are
    root (initdb refuses root); signals then reach postgres itself."""
    if os.geteuid() != 0:
        return {}
    return {"user": SYSTEM_USER, "group": SYSTEM_USER, "extra_groups": []}


class PostgresServer:
    def __init__(
        self, *, port: int | None = None, durable: bool = False, max_connections: int = 100
    ) -> None:
        """`durable`: fsync on, as a real server runs (benchmarks); tests go without."""
        self.max_connections = max_connections
        # A directory the cluster user can write: /tmp, not pytest's (root-owned) tmp_path.
        self.root = Path(tempfile.mkdtemp(prefix="hedgerow-pg-"))
        self.data_dir = self.root / "data"
        self.port = port or free_port()
        self.url = f"postgresql://{SYSTEM_USER}@127.0.0.1:{self.port}/hedgerow"
        self.log_path = self.root / "postgres.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._initialized = False
        self.durable = durable

    def _chown(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, SYSTEM_USER, SYSTEM_USER)

    def start(self, timeout: float = 30) -> PostgresServer:
        bin_dir = postgres_bin_dir()
        if not self._initialized:
            self._chown()
            initdb = [str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SYSTEM_USER]
            initdb += ["--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]
            subprocess.run(
                initdb, check=True, capture_output=True, cwd=self.root, **_as_cluster_user()
            )
            self._initialized = True
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child
        command = [str(bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        command += [
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.root}",
        ]
        command += ["-c", f"max_connections={self.max_connections}", "-c", "shared_buffers=128MB"]
        if not self.durable:
            command += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
        self.process = subprocess.Popen(
            command, stdout=log, stderr=log, cwd=self.root, **_as_cluster_user()
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited: {self.log_path.read_text()[-2000:]}")
            if self._accepts() and self._create_database():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"postgres did not start: {self.log_path.read_text()[-2000:]}")

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _create_database(self) -> bool:
        """Create the `hedgerow` database once the server answers (False: not yet)."""
        import psycopg

        admin = f"postgresql://{SYSTEM_USER}@127.0.0.1:{self.port}/postgres"
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = 'hedgerow'"
                ).fetchone()
                if exists is None:
                    conn.execute("CREATE DATABASE hedgerow")
            return True
        except psycopg.OperationalError:  # still starting up
            return False

    def reset(self) -> None:
        """Drop and create the `hedgerow` database: a fresh start for the next test."""
        import psycopg

        admin = f"postgresql://{SYSTEM_USER}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS hedgerow WITH (FORCE)")
            conn.execute("CREATE DATABASE hedgerow")

    def new_database(self) -> str:
        """The URL of a new empty database (for a module's server that keeps it throughout)."""
        import psycopg

        self._databases = getattr(self, "_databases", 0) + 1
        name = f"hedgerow_{self._databases}"
        admin = f"postgresql://{SYSTEM_USER}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
            conn.execute(f"CREATE DATABASE {name}".encode())
        return f"postgresql://{SYSTEM_USER}@127.0.0.1:{self.port}/{name}"

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Stop the server (SIGINT: PostgreSQL's fast shutdown); the data stays."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
