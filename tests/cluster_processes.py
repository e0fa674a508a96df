"""A split installation of the test's own: two `hedgerow capture`, two `hedgerow ingest` and
one `hedgerow web`, on a nats-server, PostgreSQL (persons and app tables) and a ClickHouse
server (events); and what must hold of it after anything that happened to it.

The second ingestion worker reaches nats-server and PostgreSQL through TCP proxies of the
test (`tcp_proxy.py`), so that a test can cut that worker alone off from either, while every
other process still reaches them.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from ingest_process import Ingest, partition_owners, recorded_owners
from nats_server import NatsServer
from retrying_load import PARTITIONS
from tcp_proxy import TcpProxy

from postgres_server import PostgresServer
from readback import all_rows
from server import Server


class Cluster:
    def __init__(
        self,
        root: Path,
        nats: NatsServer,
        postgres: PostgresServer,
        persons_url: str,
        events_url: str,
    ) -> None:
        self.nats = nats
        self.postgres = postgres
        self.env = {
            "HEDGEROW_INTAKE_URL": nats.url,
            "HEDGEROW_PERSONS_URL": persons_url,
            "HEDGEROW_EVENTS_URL": events_url,
        }
        self.nats_proxy = TcpProxy(nats.port)
        self.postgres_proxy = TcpProxy(postgres.port)
        proxied = {
            **self.env,
            "HEDGEROW_INTAKE_URL": f"nats://127.0.0.1:{self.nats_proxy.port}",
            "HEDGEROW_PERSONS_URL": persons_url.replace(
                f":{postgres.port}/", f":{self.postgres_proxy.port}/"
            ),
        }
        self.workers = [Ingest(root / "worker-a", self.env), Ingest(root / "worker-b", proxied)]
        self.captures = [
            Server(root / f"capture-{n}", command="capture", **self.env) for n in range(2)
        ]
        self.web = Server(root / "web", command="web", **self.env)

    @property
    def capture_urls(self) -> list[str]:
        return [capture.url for capture in self.captures]

    def start(self) -> Cluster:
        self.workers[0].start()
        self.workers[1].start()
        self.wait_shared()
        for process in [*self.captures, self.web]:
            process.start()
        return self

    def stop(self) -> None:
        for server in [self.web, *self.captures]:
            if server.process is not None:
                server.stop()
        for worker in self.workers:
            if worker.process is not None and worker.process.poll() is None:
                worker.stop()
        self.nats_proxy.close()
        self.postgres_proxy.close()

    def worker_pids(self) -> set[int]:
        return {w.process.pid for w in self.workers if w.process and w.process.poll() is None}

    def wait_shared(self, timeout: float = 60) -> dict[int, int]:
        """Until every partition is held, half by each live worker, by exactly one each: its
        lease names it and so does the owner it recorded when taking it. Partition -> pid."""
        deadline = time.monotonic() + timeout
        while True:
            leases = partition_owners(self.nats.url)
            recorded = recorded_owners(self.nats.url)
            by_pid = {p: int(owner.split("-")[-2]) for p, owner in leases.items()}
            shares = sorted(Counter(by_pid.values()).values())
            if (
                len(leases) == PARTITIONS
                and set(by_pid.values()) == self.worker_pids()
                and shares == [PARTITIONS // 2, PARTITIONS // 2]
                and recorded == leases
            ):
                return by_pid
            assert time.monotonic() < deadline, f"partitions not shared: {leases} {recorded}"
            time.sleep(0.2)


def stored(web: Server) -> Counter[str]:
    """How many times each uuid is stored, through the query API."""
    rows = all_rows(web, ["uuid", "count()"], orderBy=["uuid ASC"])
    return Counter({str(u): int(n) for u, n in rows})


def assert_stored_once(web: Server, acked: list[str], timeout: float = 90) -> None:
    """Every acknowledged event is stored (waiting for ingestion to catch up), none twice."""
    deadline = time.monotonic() + timeout
    while missing := set(acked) - set(found := stored(web)):
        assert time.monotonic() < deadline, f"{len(missing)} acknowledged events were lost"
        time.sleep(0.5)
    twice = sorted(u for u, n in found.items() if n > 1)
    assert not twice, f"{len(twice)} events were stored more than once: {twice[:5]}"


def assert_merged(web: Server, pairs: list[tuple[str, str]]) -> None:
    """Each (anonymous id, user id) is one person, its events all of that person; no two
    pairs share a person."""
    assert pairs, "no identify sequence was acknowledged"
    rows = all_rows(
        web, ["distinct_id", "person_id", "count()"], orderBy=["distinct_id ASC", "person_id ASC"]
    )
    persons: dict[str, set[str]] = {}
    for distinct_id, person, _ in rows:
        persons.setdefault(str(distinct_id), set()).add(str(person))
    for anon, user in pairs:
        assert persons[anon] == persons[user] and len(persons[user]) == 1, (anon, user)
    assert len({min(persons[user]) for _, user in pairs}) == len(pairs)
