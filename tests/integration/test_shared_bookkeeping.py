"""Two `hedgerow ingest` workers sharing the JetStream intake (real nats-server, PostgreSQL and
ClickHouse of the test's own), read back through `hedgerow web`: the ingestion counts and
warnings are those of both workers together, and the event buffer's held events follow their
partition when the worker holding them is killed."""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest_process import Ingest, wait_owners
from nats_server import NatsServer
from retrying_load import partition

from readback import all_rows
from server import TOKEN, Server, poll

PERSONLESS_IDENTIFY = "invalid_event_when_process_person_profile_is_false"


def _ids_of(owners: dict[int, str], worker: str, prefix: str, count: int) -> list[str]:
    """`count` distinct ids whose partitions `worker` holds."""
    found: list[str] = []
    n = 0
    while len(found) < count:
        candidate = f"{prefix}-{n}"
        if owners[partition(candidate)] == worker:
            found.append(candidate)
        n += 1
    return found


def _send(capture: Server, events: list[dict[str, Any]]) -> None:
    body = {"api_key": TOKEN, "batch": events}
    assert httpx.post(capture.url + "/batch/", json=body, timeout=10).status_code == 200


class Installation:
    """Two workers (`a` started first, then `b`, sharing the partitions six and six), one
    capture process and `hedgerow web`, with `env` besides the servers' URLs."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.env = env
        self.a = Ingest(tmp / "worker-a", env).start()
        self.a_id = wait_owners(env["HEDGEROW_INTAKE_URL"], 1)[0]
        self.b = Ingest(tmp / "worker-b", env).start()
        self.owners = wait_owners(env["HEDGEROW_INTAKE_URL"], 2)
        assert sorted(Counter(self.owners.values()).values()) == [6, 6]
        self.b_id = next(o for o in self.owners.values() if o != self.a_id)
        self.capture = Server(tmp / "capture", command="capture", **env).start()
        self.web = Server(tmp / "web", command="web", **env).start()

    def close(self) -> None:
        self.web.stop()
        self.capture.stop()
        for worker in (self.a, self.b):
            if worker.process is not None and worker.process.poll() is None:
                worker.stop()


def _first_seen(web: Server, wanted: set[str], timeout: float = 60) -> dict[str, float]:
    """When each of these uuids was first seen stored (polled until all are)."""
    first_seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while set(first_seen) != wanted:
        assert time.monotonic() < deadline, f"never stored: {wanted - set(first_seen)}"
        rows = all_rows(web, ["uuid"], orderBy=["uuid ASC"])
        now = time.time()
        for (stored,) in rows:
            if stored in wanted:
                first_seen.setdefault(stored, now)
        time.sleep(0.2)
    return first_seen


@pytest.fixture()
def servers(nats_server: NatsServer, postgres_url: str, clickhouse_url: str) -> dict[str, str]:
    return {
        "HEDGEROW_INTAKE_URL": nats_server.url,
        "HEDGEROW_PERSONS_URL": postgres_url,
        "HEDGEROW_EVENTS_URL": clickhouse_url,
    }


@pytest.fixture()
def installation(servers: dict[str, str], tmp_path: Path) -> Iterator[Installation]:
    setup = Installation(tmp_path, servers)
    yield setup
    setup.close()


def test_counts_and_warnings_of_both_workers_are_answered_together(
    installation: Installation,
) -> None:
    """Events with warnings land on both workers' partitions; `hedgerow web` (which ingests
    nothing) answers the counts and warnings of both, equal to what was sent."""
    sent: list[dict[str, Any]] = []
    for worker, name in ((installation.a_id, "a"), (installation.b_id, "b")):
        for distinct_id in _ids_of(installation.owners, worker, f"user-{name}", 3):
            sent += [{"event": "plain", "distinct_id": distinct_id} for _ in range(4)]
            sent += [{"event": "n" * 250, "distinct_id": distinct_id} for _ in range(2)]
            sent.append(
                {
                    "event": "$identify",
                    "distinct_id": distinct_id,
                    "properties": {"$anon_distinct_id": "x", "$process_person_profile": False},
                }
            )
    for event in sent:
        event["uuid"] = str(uuid.uuid4())
    _send(installation.capture, sent)
    truncated = sum(1 for e in sent if len(e["event"]) > 200)
    discarded = sum(1 for e in sent if e["event"] == "$identify")
    assert truncated == 12 and discarded == 6

    web = installation.web
    status = poll(web.status, lambda s: s["processed"] >= len(sent) - discarded)
    assert status["received"] == len(sent)
    assert status["processed"] == len(sent) - discarded
    assert status["discarded"] == {PERSONLESS_IDENTIFY: discarded}
    with web.api() as client:
        summary = client.get("/api/projects/1/ingestion/warnings/summary/").json()["results"]
        listed = client.get(
            "/api/projects/1/ingestion/warnings/", params={"type": "event_name_truncated"}
        ).json()["results"]
    assert {s["type"]: s["count"] for s in summary} == {
        "event_name_truncated": truncated,
        PERSONLESS_IDENTIFY: discarded,
    }
    long_names = {e["uuid"] for e in sent if len(e["event"]) > 200}
    assert {w["event_uuid"] for w in listed} == long_names
    assert Counter(u for (u,) in all_rows(web, ["uuid"], orderBy=["uuid ASC"])) == Counter(
        {e["uuid"]: 1 for e in sent if e["event"] != "$identify"}
    )


def test_buffered_events_of_a_killed_worker_are_released_by_the_other(
    servers: dict[str, str], tmp_path: Path
) -> None:
    """Worker b holds back backend events of users who have no person yet; it is killed
    (SIGKILL), the users' `$identify` is sent while nobody holds their partitions, and worker
    a takes them over: it applies the merges and releases the held events at their due time,
    each once, on the merged person (no override needed)."""
    delay = 12.0
    setup = Installation(tmp_path, {**servers, "HEDGEROW_BUFFER_DELAY": str(delay)})
    try:
        users = _ids_of(setup.owners, setup.b_id, "user", 4)
        anons = _ids_of(setup.owners, setup.a_id, "anon", 4)
        pageviews: dict[str, str] = {}
        for anon in anons:
            pageviews[anon] = str(uuid.uuid4())
            event = {"event": "$pageview", "distinct_id": anon, "uuid": pageviews[anon]}
            _send(setup.capture, [{**event, "properties": {"$device_id": anon}}])
        held: dict[str, tuple[str, float]] = {}  # user -> (uuid, sent at)
        for user in users:
            held[user] = (str(uuid.uuid4()), time.time())
            _send(
                setup.capture, [{"event": "signed up", "distinct_id": user, "uuid": held[user][0]}]
            )
        status = poll(
            setup.web.status,
            lambda s: s["buffered"] >= len(users) and s["processed"] >= len(anons),
            timeout=30,
        )
        assert status["processed"] == len(anons)  # the signups wait, in b's partitions

        assert setup.b.stop(signal.SIGKILL) == -signal.SIGKILL
        for anon, user in zip(anons, users, strict=True):
            properties = {"$anon_distinct_id": anon, "$device_id": anon}
            _send(
                setup.capture,
                [{"event": "$identify", "distinct_id": user, "properties": properties}],
            )

        first_seen = _first_seen(setup.web, {u for u, _ in held.values()})
        for event_uuid, sent_at in held.values():  # not released before their due time
            assert first_seen[event_uuid] >= sent_at + delay

        rows = all_rows(setup.web, ["uuid", "distinct_id", "person_id"], orderBy=["uuid ASC"])
        assert len(rows) == len({r[0] for r in rows}) == len(anons) * 2 + len(users)  # each once
        person_of = {u: p for u, _, p in rows}
        for anon, user in zip(anons, users, strict=True):
            assert person_of[held[user][0]] == person_of[pageviews[anon]], user
        status = setup.web.status()
        assert status["buffered"] == 0
        assert status["person_overrides"] == 0  # each waited for its merge
    finally:
        setup.close()


def test_buffered_events_survive_a_restart_of_every_process(
    servers: dict[str, str], tmp_path: Path
) -> None:
    """Every Hedgerow process is killed while events are held back; a new worker, in a new
    data directory, releases them at their due time, each once."""
    delay = 6.0
    env = {**servers, "HEDGEROW_BUFFER_DELAY": str(delay)}
    worker = Ingest(tmp_path / "worker", env).start()
    wait_owners(servers["HEDGEROW_INTAKE_URL"], 1)
    capture = Server(tmp_path / "capture", command="capture", **env).start()
    web = Server(tmp_path / "web", command="web", **env).start()
    sent: dict[str, float] = {}
    for n in range(3):
        event_uuid = str(uuid.uuid4())
        sent[event_uuid] = time.time()
        _send(capture, [{"event": "signed up", "distinct_id": f"late-{n}", "uuid": event_uuid}])
    poll(web.status, lambda s: s["buffered"] == len(sent), timeout=30)
    worker.stop(signal.SIGKILL)
    capture.stop(signal.SIGKILL)
    web.stop(signal.SIGKILL)

    worker = Ingest(tmp_path / "another-worker", env).start()
    web = Server(tmp_path / "another-web", command="web", **env).start()
    try:
        first_seen = _first_seen(web, set(sent))
        for event_uuid, sent_at in sent.items():
            assert first_seen[event_uuid] >= sent_at + delay
        stored = Counter(u for (u,) in all_rows(web, ["uuid"], orderBy=["uuid ASC"]))
        assert stored == Counter(dict.fromkeys(sent, 1))
        assert web.status()["buffered"] == 0
    finally:
        web.stop()
        worker.stop()
