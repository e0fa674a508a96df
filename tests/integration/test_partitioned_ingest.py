"""Several `hedgerow ingest` workers sharing the JetStream intake by partitions, with persons
on PostgreSQL and events on a ClickHouse server (real nats-server, PostgreSQL and ClickHouse
of the test's own), fed by two `hedgerow capture` processes and read back through
`hedgerow web`."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from ingest_process import Ingest, wait_owners
from nats_server import NatsServer
from retrying_load import PARTITIONS, partition

from readback import all_rows
from server import TOKEN, Server


def _stored(server: Server) -> Counter[str]:
    return Counter({u: n for u, n in all_rows(server, ["uuid", "count()"], orderBy=["uuid ASC"])})


class Load:
    """Senders posting batches of 20 events of random distinct ids (so every request spans
    several partitions) to the capture processes in turn, until stopped; `acked` holds the
    uuids of every request answered 200."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.acked: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(n,)) for n in range(2)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _send(self, n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(timeout=10) as http:
            turn = n
            while not self._stop.is_set():
                batch = [
                    {
                        "event": "load",
                        "distinct_id": f"d{rng.randrange(300)}",
                        "uuid": str(uuid.uuid4()),
                    }
                    for _ in range(20)
                ]
                turn += 1
                try:
                    response = http.post(
                        self.urls[turn % len(self.urls)] + "/batch/",
                        json={"api_key": TOKEN, "batch": batch},
                    )
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    self.acked.extend(e["uuid"] for e in batch)


def _identify_pairs(capture: Server, owners: dict[int, str], count: int) -> list[tuple[str, str]]:
    """Anonymous events then `$identify` for `count` users, each anonymous id in a partition
    of another worker than its user id's: (anonymous id, user id)."""
    pairs: list[tuple[str, str]] = []
    with httpx.Client(timeout=10) as http:
        while len(pairs) < count:
            anon, user = f"anon-{uuid.uuid4().hex[:8]}", f"user-{uuid.uuid4().hex[:8]}"
            if owners[partition(anon)] == owners[partition(user)]:
                continue
            events: list[dict[str, Any]] = [
                {"event": "$pageview", "distinct_id": anon},
                {
                    "event": "$identify",
                    "distinct_id": user,
                    "properties": {"$anon_distinct_id": anon},
                },
                {"event": "signed in", "distinct_id": user},
            ]
            for event in events:  # one request each, in this order
                body = {"api_key": TOKEN, "batch": [{**event, "uuid": str(uuid.uuid4())}]}
                assert http.post(capture.url + "/batch/", json=body).status_code == 200
            pairs.append((anon, user))
    return pairs


def _burst(capture: Server, partitions: list[int]) -> list[str]:
    """3,000 events of distinct ids in these partitions, in requests of 500: their uuids."""
    ids = [d for d in (f"burst-{n}" for n in range(2000)) if partition(d) in partitions]
    sent: list[str] = []
    with httpx.Client(timeout=30) as http:
        for start in range(0, 3000, 500):
            batch = [
                {"event": "burst", "distinct_id": ids[n % len(ids)], "uuid": str(uuid.uuid4())}
                for n in range(start, start + 500)
            ]
            body = {"api_key": TOKEN, "batch": batch}
            assert http.post(capture.url + "/batch/", json=body).status_code == 200
            sent += [e["uuid"] for e in batch]
    return sent


def _assert_stored_once(web: Server, acked: list[str]) -> None:
    """Every acknowledged event is stored (waiting for ingestion), none twice."""
    deadline = time.monotonic() + 90
    while missing := set(acked) - set(stored := _stored(web)):
        assert time.monotonic() < deadline, f"{len(missing)} acknowledged events were lost"
        time.sleep(0.5)
    twice = [u for u, n in stored.items() if n > 1]
    assert not twice, f"{len(twice)} events were stored twice"


def _server_env(nats_server: NatsServer, postgres_url: str, clickhouse_url: str) -> dict[str, str]:
    return {
        "HEDGEROW_INTAKE_URL": nats_server.url,
        "HEDGEROW_PERSONS_URL": postgres_url,
        "HEDGEROW_EVENTS_URL": clickhouse_url,
    }


def test_two_workers_one_killed_under_load(
    nats_server: NatsServer, postgres_url: str, clickhouse_url: str, tmp_path: Path
) -> None:
    """Two workers share the partitions (a worker joining takes its share) and merge
    identities across them; one is killed (SIGKILL) while two capture processes take a
    continuous load, and the other takes its partitions over. Every acknowledged event is
    stored exactly once, and the merged persons hold, read back through `hedgerow web`."""
    env = _server_env(nats_server, postgres_url, clickhouse_url)
    first = Ingest(tmp_path / "worker-a", env).start()
    first_id = wait_owners(nats_server.url, 1)[0]  # all twelve its own
    captures = [
        Server(tmp_path / f"capture-{n}", command="capture", **env).start() for n in range(2)
    ]
    web = Server(tmp_path / "web", command="web", **env).start()
    second: Ingest | None = None
    try:
        with Load([c.url for c in captures]) as load:
            # The second worker takes small batches: a burst for its partitions keeps a
            # few in hand, and it is killed once part of the burst is stored.
            second = Ingest(tmp_path / "worker-b", {**env, "HEDGEROW_BATCH_SIZE": "100"})
            second.start()
            shared = wait_owners(nats_server.url, 2)
            assert sorted(Counter(shared.values()).values()) == [6, 6]
            pairs = _identify_pairs(captures[0], shared, 4)
            before = len(load.acked)
            burst = _burst(captures[1], [p for p, o in shared.items() if o != first_id])
            load.acked.extend(burst)
            deadline = time.monotonic() + 60
            while not 0 < len(set(burst) & set(_stored(web))) < len(burst) / 2:
                assert time.monotonic() < deadline, "the burst was never half stored"
                time.sleep(0.05)
            assert second.stop(signal.SIGKILL) == -signal.SIGKILL
            deadline = time.monotonic() + 30
            while len(load.acked) < before + 1200:  # load goes on while no one has its part
                assert time.monotonic() < deadline
                time.sleep(0.05)
            wait_owners(nats_server.url, 1)  # the survivor took every partition
        assert len(load.acked) > 1500
        _assert_stored_once(web, load.acked)
        rows = all_rows(
            web,
            ["distinct_id", "person_id", "count()"],
            orderBy=["distinct_id ASC", "person_id ASC"],
        )
        persons: dict[str, set[str]] = {}
        for distinct_id, person, _ in rows:
            persons.setdefault(distinct_id, set()).add(person)
        for anon, user in pairs:  # their three events: one person
            assert persons[anon] == persons[user] and len(persons[user]) == 1, (anon, user)
        assert len({min(persons[user]) for _, user in pairs}) == len(pairs)
        assert first.process is not None and first.process.poll() is None
    finally:
        web.stop()
        for capture in captures:
            capture.stop()
        first.stop()
        if second is not None and second.process is not None and second.process.poll() is None:
            second.stop()


def test_a_paused_worker_is_fenced(
    nats_server: NatsServer, postgres_url: str, clickhouse_url: str, tmp_path: Path
) -> None:
    """A worker stopped (SIGSTOP) past its leases, mid-batch under load, while the other takes
    its partitions over, then continued (SIGCONT): it must see that its leases are gone and
    neither insert nor commit what it had in hand, then get its share back. Every acknowledged
    event is stored once."""
    env = _server_env(nats_server, postgres_url, clickhouse_url)
    first = Ingest(tmp_path / "worker-a", env).start()
    first_id = wait_owners(nats_server.url, 1)[0]
    capture = Server(tmp_path / "capture", command="capture", **env).start()
    web = Server(tmp_path / "web", command="web", **env).start()
    second = Ingest(tmp_path / "worker-b", {**env, "HEDGEROW_BATCH_SIZE": "100"}).start()
    try:
        shared = wait_owners(nats_server.url, 2)
        with Load([capture.url]) as load:
            burst = _burst(capture, [p for p, o in shared.items() if o != first_id])
            load.acked.extend(burst)
            deadline = time.monotonic() + 60
            while not 0 < len(set(burst) & set(_stored(web))) < len(burst) / 2:
                assert time.monotonic() < deadline, "the burst was never half stored"
                time.sleep(0.05)
            assert second.process is not None
            second.process.send_signal(signal.SIGSTOP)
            owners = wait_owners(nats_server.url, 1)  # the first took everything over
            second.process.send_signal(signal.SIGCONT)
            assert second.process.pid not in {int(o.split("-")[-2]) for o in owners.values()}
            wait_owners(nats_server.url, 2)  # and gave the second its share back
        _assert_stored_once(web, load.acked)
        assert second.process.poll() is None and "was taken over" in second.log_path.read_text()
    finally:
        web.stop()
        capture.stop()
        first.stop()
        if second.process is not None and second.process.poll() is None:
            second.stop()


def test_a_second_worker_beside_embedded_stores_is_refused(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """Embedded stores belong to one process: a second worker refuses to start (exit 2,
    saying what to do), and so does a process with another partition count."""
    env = {"HEDGEROW_INTAKE_URL": nats_server.url}
    first = Ingest(tmp_path / "one", env).start()
    try:
        refused = subprocess.run(
            [sys.executable, "-m", "hedgerow", "ingest", "--data-dir", str(tmp_path / "two")],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=120,
        )
        assert refused.returncode == 2, refused.stderr
        assert "--persons-url" in refused.stderr and "--events-url" in refused.stderr
        other = subprocess.run(
            [sys.executable, "-m", "hedgerow", "capture", "--data-dir", str(tmp_path / "one")],
            capture_output=True,
            text=True,
            env={**os.environ, **env, "HEDGEROW_INTAKE_PARTITIONS": "5"},
            timeout=120,
        )
        assert other.returncode == 2, other.stderr
        assert f"--intake-partitions {PARTITIONS}" in other.stderr
    finally:
        assert first.stop() == 0
