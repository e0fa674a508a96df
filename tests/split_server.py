"""A split installation standing where a `Server` stands (`SplitServer`): the suites run against it
unchanged with `pytest --configuration=cluster` (tests/conftest.py).

One cluster is a nats-server with JetStream of its own, a database of the run's PostgreSQL
cluster (persons and app tables), a ClickHouse server (events), one `hedgerow web`, two
`hedgerow capture` and two `hedgerow ingest` processes, each with a data directory of its own
under the cluster's `data_dir`, and in front the router (`cluster_router.py`) on the
cluster's port: capture paths to the capture processes in turn, everything else to web.

The cluster's servers belong to its `data_dir`, as an embedded server's stores do: a cluster
stopped (or killed) and started again, or made again on the same directory, finds its events,
persons, intake stream and the event buffers of its workers where it left them. The
PostgreSQL cluster is one for the run; a ClickHouse listener whose cluster has stopped is
handed (emptied) to the next cluster that needs one, since a listener takes seconds to start.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from clickhouse_server import ClickHouseServer
from cluster_router import Router
from ingest_process import Ingest, partition_owners
from nats_server import NatsServer

from postgres_server import PostgresServer
from server import API_KEY, TOKEN, Server, poll

CAPTURE_PROCESSES = 2
INGEST_PROCESSES = 2
PARTITIONS = 12  # the default --intake-partitions
T = TypeVar("T")
MAX_CONNECTIONS = 400  # five processes with three pools each, several clusters at once


@dataclass
class Installation:
    """The servers holding one cluster's data, kept for its data directory."""

    nats: NatsServer
    persons_url: str
    clickhouse: ClickHouseServer | None = None
    running: bool = False


@dataclass
class SharedServers:
    postgres: PostgresServer | None = None
    installations: dict[Path, Installation] = field(default_factory=dict)
    clickhouse: list[ClickHouseServer] = field(default_factory=list)

    def database(self) -> str:
        if self.postgres is None:
            self.postgres = PostgresServer(max_connections=MAX_CONNECTIONS).start()
        return self.postgres.new_database()

    def installation(self, data_dir: Path) -> Installation:
        found = self.installations.get(data_dir)
        if found is None:
            found = Installation(NatsServer(data_dir / "nats"), self.database())
            self.installations[data_dir] = found
        return found

    def take_clickhouse(self, installation: Installation) -> ClickHouseServer:
        """The installation's listener, or an idle one emptied for it, or a new one."""
        if installation.clickhouse is not None:
            return installation.clickhouse
        for other in self.installations.values():
            if other.clickhouse is not None and not other.running:
                listener, other.clickhouse = other.clickhouse, None
                listener.reset()
                installation.clickhouse = listener
                return listener
        installation.clickhouse = ClickHouseServer().start()
        self.clickhouse.append(installation.clickhouse)
        return installation.clickhouse

    def stop(self) -> None:
        for installation in self.installations.values():
            installation.nats.stop()
        for listener in self.clickhouse:
            listener.stop()
        if self.postgres is not None:
            self.postgres.remove()
        self.postgres = None
        self.installations.clear()
        self.clickhouse.clear()


SHARED = SharedServers()


class SplitServer(Server):
    """`Server`'s interface (url, api(), status(), wait_ingested(), query(), events(),
    create_project(), start(), stop(), kill()) over the split processes."""

    def __init__(
        self, data_dir: Path, *, port: int | None = None, command: str = "serve", **env: str
    ) -> None:
        super().__init__(data_dir, port=port, command=command, **env)
        self.installation = SHARED.installation(data_dir)
        env.setdefault("HEDGEROW_PERSONS_URL", self.installation.persons_url)
        self.env = {**env, "HEDGEROW_INTAKE_URL": self.installation.nats.url}
        self.web: Server | None = None
        self.captures: list[Server] = []
        self.ingests: list[Ingest] = []
        self.router: Router | None = None

    def _process_env(self) -> dict[str, str]:
        assert self.installation.clickhouse is not None
        return {
            "HEDGEROW_PROJECT_TOKEN": TOKEN,
            "HEDGEROW_API_KEY": API_KEY,
            "HEDGEROW_BUFFER_DELAY": "0",
            **self.env,
            "HEDGEROW_EVENTS_URL": self.installation.clickhouse.url,
        }

    def start(self, timeout: float = 60) -> SplitServer:
        installation = self.installation
        assert not installation.running, f"a cluster already runs on {self.data_dir}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        installation.running = True
        try:
            self._start_processes(timeout)
        except BaseException:
            self.stop(signal.SIGKILL)
            raise
        return self

    def _start_processes(self, timeout: float) -> None:
        installation = self.installation
        installation.nats.start()
        SHARED.take_clickhouse(installation)
        env = self._process_env()
        self.env["HEDGEROW_EVENTS_URL"] = env["HEDGEROW_EVENTS_URL"]
        # web first: it makes project 1 and applies the migrations the others then find.
        self.web = Server(self.data_dir / "web", command="web", **env).start(timeout)
        self.process = self.web.process
        self.captures = [
            Server(self.data_dir / f"capture-{n}", command="capture", **env)
            for n in range(CAPTURE_PROCESSES)
        ]
        self.ingests = [Ingest(self.data_dir / f"ingest-{n}", env) for n in range(INGEST_PROCESSES)]
        starts: list[Callable[[], object]] = [c.start for c in self.captures]
        starts += [i.start for i in self.ingests]
        _all_at_once(starts)
        # Both workers ingest: wait until they share the partitions (a worker joining takes
        # its share within seconds), or the first could take every event of a short test.
        pids = {i.process.pid for i in self.ingests if i.process is not None}

        def shared(owners: dict[int, str]) -> bool:  # worker ids: host-pid-random
            holders = {int(owner.split("-")[-2]) for owner in owners.values()}
            return len(owners) == PARTITIONS and holders == pids

        poll(lambda: partition_owners(installation.nats.url), shared, timeout)
        self.router = Router(self.port, [c.port for c in self.captures], self.web.port).start()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Stop every Hedgerow process at once (with `sig`: SIGKILL kills them all) and the
        router; the servers keep the data for the next start. The first non-zero exit status,
        or 0."""
        if self.router is not None:
            self.router.stop()
            self.router = None
        processes: list[Server | Ingest] = [*self.captures, *self.ingests]
        if self.web is not None:
            processes.append(self.web)
        codes = _all_at_once([partial(_stop, p, sig) for p in processes])
        self.web, self.captures, self.ingests, self.process = None, [], [], None
        self.installation.nats.stop()
        self.installation.running = False
        return next((code for code in codes if code != 0), 0)

    def wait_ingested(
        self, received: int, project: int = 1, timeout: float = 30, key: str = API_KEY
    ) -> dict[str, Any]:
        """Poll until the workers have handled `received` events and the stream holds none:
        the API status then (`hedgerow web` answers the counts of every worker together,
        kept in PostgreSQL: docs/deploy.md)."""

        def done(status: dict[str, Any]) -> bool:
            return status["queued"] == 0 and int(status["received"]) >= received

        result: dict[str, Any] = poll(lambda: self.status(project, key), done, timeout)
        return result


def _all_at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Each call in a thread of its own; their results (the first exception is raised)."""
    if not calls:
        return []
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def _stop(process: Server | Ingest, sig: int) -> int:
    if process.process is None:
        return 0
    if process.process.poll() is not None:
        return process.process.returncode
    return process.stop(sig)


def stop_shared_servers() -> None:
    """At the end of the run: every nats-server, ClickHouse listener and the PostgreSQL
    cluster the clusters used."""
    SHARED.stop()
