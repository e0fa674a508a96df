"""Faults under continuous load on a split installation (issue 17): two `hedgerow capture`,
two `hedgerow ingest` and `hedgerow web`, on a real nats-server, PostgreSQL and ClickHouse
server (`cluster_processes.py`), fed by senders that retry until acknowledged
(`retrying_load.py`). After each fault: every acknowledged event is stored exactly once, the
identify sequences sent meanwhile (their two ids in partitions of different workers) made
one person each, and every partition is held by exactly one of the two workers, half each,
all read back through `hedgerow web` and the intake's buckets.

The module's tests share one installation (starting five processes is most of a test's
time); each leaves it whole, as it found it.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from clickhouse_server import ClickHouseServer
from cluster_processes import Cluster, assert_merged, assert_stored_once
from hedgerow.persons.postgres import advisory_key
from ingest_process import Ingest, committed_offsets, partition_owners, stream_head
from nats_server import NatsServer
from retrying_load import PARTITIONS, RetryingLoad, partition

from postgres_server import PostgresServer


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_cluster: PostgresServer,
    clickhouse_server: ClickHouseServer,
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("faults")
    clickhouse_server.reset()
    nats = NatsServer(root / "nats").start()
    persons_url = postgres_cluster.new_database()
    instance = Cluster(root, nats, postgres_cluster, persons_url, clickhouse_server.url)
    try:
        yield instance.start()
    finally:
        instance.stop()
        nats.stop()


def _assert_whole(cluster: Cluster, load: RetryingLoad) -> None:
    assert_stored_once(cluster.web, load.acked)
    assert_merged(cluster.web, load.pairs)
    cluster.wait_shared()


def _failures(worker: Ingest, what: str) -> int:
    return worker.log_path.read_text(errors="replace").count(what)


def _wait_logged(workers: list[Ingest], what: str, before: list[int], timeout: float = 30) -> None:
    """Until each worker has logged `what` more often than `before`."""
    deadline = time.monotonic() + timeout
    while any(_failures(w, what) <= n for w, n in zip(workers, before, strict=True)):
        assert time.monotonic() < deadline, f"the workers never logged {what!r}"
        time.sleep(0.1)


def test_a_capture_process_killed_under_load(cluster: Cluster) -> None:
    """SIGKILL of one capture process: its requests in flight go unanswered (the senders
    retry them at the other), the other carries on alone, and the killed one restarted on
    its port serves again. Nothing acknowledged is lost or stored twice."""
    killed, other = cluster.captures
    with RetryingLoad(cluster.capture_urls) as load:
        load.wait_acked(400)
        assert killed.stop(signal.SIGKILL) == -signal.SIGKILL
        load.wait_refused("no answer")
        load.wait_answered(other.url, 20)
        killed.start()
        load.wait_answered(killed.url, 10)
    assert set(load.refusals) == {"no answer"}, load.refusals
    _assert_whole(cluster, load)


def test_nats_server_restarted_under_load(cluster: Cluster) -> None:
    """nats-server killed and started again on its port and store while both capture
    processes take load: capture answers 503 `intake_unavailable` meanwhile, the workers'
    leases lapse (they cannot renew them), and once it is back the workers reconnect, take
    their shares again and resume from their committed offsets."""
    renewals = "renewing the intake partition leases failed"
    before = [_failures(w, renewals) for w in cluster.workers]
    with RetryingLoad(cluster.capture_urls) as load:
        load.wait_acked(400)
        cluster.nats.stop(signal.SIGKILL)
        load.wait_refused("503 intake_unavailable")
        _wait_logged(cluster.workers, renewals, before)  # down past a renewal
        cluster.nats.start()
        for url in cluster.capture_urls:
            load.wait_answered(url, 10)
        load.wait_acked(400)
    assert set(load.refusals) == {"503 intake_unavailable"}, load.refusals
    _assert_whole(cluster, load)


def test_postgres_restarted_under_load(cluster: Cluster) -> None:
    """PostgreSQL (persons, app tables) stopped and started again on its port while both
    workers ingest: their person transactions fail and the batches are replayed whole once
    the pools have reconnected; capture and `hedgerow web` recover too."""
    failed = "ingestion batch failed"
    before = [_failures(w, failed) for w in cluster.workers]
    with RetryingLoad(cluster.capture_urls) as load:
        load.wait_acked(400)
        cluster.postgres.stop()
        _wait_logged(cluster.workers, failed, before)
        cluster.postgres.start()
        load.wait_acked(400)
        for url in cluster.capture_urls:
            load.wait_answered(url, 10)
    _assert_whole(cluster, load)


def test_a_worker_cut_off_from_nats_stops_writing_at_its_deadline(cluster: Cluster) -> None:
    """The second worker's road to nats-server is held (its connection stays open and
    silent; the other worker's is untouched) while it has a batch in hand, kept there by an
    advisory lock of the test on the batch's person. Its leases lapse and the first worker
    takes its partitions over, reads the batch again and waits for the same lock. Released,
    the cut-off worker gets the lock first: past its lease deadline it must write neither
    persons nor events (else the batch is stored twice: the first worker looked its uuids
    up before). Once its road is back it takes its share again."""
    first, second = cluster.workers
    assert first.process is not None and second.process is not None
    owners = cluster.wait_shared()
    theirs = {p for p, pid in owners.items() if pid == second.process.pid}
    fenced = "leases may have expired"
    fenced_before = _failures(second, fenced)
    with RetryingLoad(cluster.capture_urls) as load:
        load.wait_acked(400)
        load.restrict(set(range(PARTITIONS)) - theirs)  # the second worker runs dry
        head = stream_head(cluster.nats.url)
        _wait_until(
            lambda: min(committed_offsets(cluster.nats.url)[p] for p in theirs) >= head,
            "the second worker committed everything of its partitions",
        )
        distinct_id = next(d for d in (f"cut-{n}" for n in range(1000)) if partition(d) in theirs)
        persons_url = cluster.env["HEDGEROW_PERSONS_URL"]  # advisory locks are per database
        with psycopg.connect(persons_url, autocommit=True) as lock:
            key = advisory_key(1, distinct_id)
            lock.execute("SELECT pg_advisory_lock(%s)", (key,))
            events = [{"event": "cut", "distinct_id": distinct_id, "uuid": u} for u in _uuids(5)]
            load.send(events)
            _wait_until(lambda: _lock_waiters(lock, key) == 1, "the second worker waits")
            cluster.nats_proxy.hold()
            _wait_until(
                lambda: _pids(partition_owners(cluster.nats.url)) == [first.process.pid] * 12,
                "the first worker took every partition",
            )
            _wait_until(lambda: _lock_waiters(lock, key) == 2, "the first worker waits for it too")
        # Released (the connection closed): the second worker goes on, past its deadline.
        assert_stored_once(cluster.web, [e["uuid"] for e in events])
        cluster.nats_proxy.release()
        load.restrict(set(range(PARTITIONS)))
        cluster.wait_shared()
        load.wait_acked(200)
    _assert_whole(cluster, load)
    assert _failures(second, fenced) > fenced_before  # it did reach its deadline


def _uuids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def _pids(owners: dict[int, str]) -> list[int]:
    """The pid in each partition's lease (`<host>-<pid>-<random>`)."""
    return [int(owners[p].split("-")[-2]) if p in owners else 0 for p in range(PARTITIONS)]


def _lock_waiters(conn: psycopg.Connection[tuple[object, ...]], key: int) -> int:
    """How many sessions wait for the advisory lock `key` (a bigint key shows in pg_locks
    as its high and low 32 bits, with objsubid 1)."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND objsubid = 1",
        (unsigned >> 32, unsigned & 0xFFFF_FFFF),
    ).fetchone()
    return int(row[0]) if row else 0


def _wait_until(done: object, what: str, timeout: float = 60) -> None:
    assert callable(done)
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)
