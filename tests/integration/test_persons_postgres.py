"""The real server with persons on PostgreSQL (`HEDGEROW_PERSONS_URL`): the PostHog docs'
identity scenario end to end (browser events, a backend sign-up by the official SDK, the
browser's $identify), with the event buffer on and off, read back through the API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from posthog import Posthog

from postgres_server import PostgresServer
from readback import unique
from server import TOKEN, Server, free_port

DELAY = 6.0  # seconds: ample on a loaded machine, where 2 let the sign-up go before $identify


def _post(server: Server, event: str, distinct_id: str, **properties: object) -> str:
    event_uuid = str(uuid.uuid4())
    body = {
        "event": event,
        "distinct_id": distinct_id,
        "uuid": event_uuid,
        "token": TOKEN,
        "properties": properties,
    }
    assert httpx.post(server.url + "/e/", json=body).status_code == 200
    return event_uuid


def _signup(server: Server, user: str) -> str:
    backend = Posthog(TOKEN, host=server.url, sync_mode=True)
    signup = backend.capture("User signed up", distinct_id=user, properties={"plan": "pro"})
    backend.shutdown()
    assert isinstance(signup, str)
    return signup


def _wait(server: Server, condition: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        status = server.status()
        if condition(status):
            return status
        assert time.monotonic() < deadline, f"status never matched: {status}"
        time.sleep(0.05)


def _persons_of_events(server: Server, uuids: list[str]) -> dict[str, str]:
    rows = server.query({"kind": "EventsQuery", "select": ["uuid", "person_id"], "limit": 100})[
        "results"
    ]
    return {u: p for u, p in rows if u in uuids}


def _person_record(server: Server, distinct_id: str) -> dict[str, Any]:
    with server.api() as api:
        found = api.get("/api/projects/1/persons/", params={"distinct_id": distinct_id}).json()
    [record] = found["results"]
    assert isinstance(record, dict)
    return record


def test_scenario_with_buffer_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    server = Server(
        tmp_path / "data", HEDGEROW_BUFFER_DELAY=str(DELAY), HEDGEROW_PERSONS_URL=postgres_url
    ).start()
    try:
        anon, user = unique("XYZ"), unique("alice") + "@example.com"
        uuids = [
            _post(server, "$pageview", anon, **{"$device_id": anon}),
            _post(server, "$autocapture", anon, **{"$device_id": anon, "$event_type": "click"}),
            _signup(server, user),
        ]
        _wait(server, lambda s: s["buffered"] == 1 and s["processed"] == 2)
        uuids.append(
            _post(
                server,
                "$identify",
                user,
                **{"$anon_distinct_id": anon, "$device_id": anon, "$set": {"email": user}},
            )
        )
        status = _wait(server, lambda s: s["processed"] == 4 and s["buffered"] == 0)
        persons = _persons_of_events(server, uuids)
        assert len(persons) == 4 and len(set(persons.values())) == 1
        assert server.query({"kind": "EventsQuery", "select": ["count(DISTINCT person_id)"]})[
            "results"
        ] == [[1]]
        assert status["person_overrides"] == 0  # the buffer made the merge unnecessary
        record = _person_record(server, user)
        assert sorted(record["distinct_ids"]) == sorted([anon, user])
        assert record["is_identified"] is True
        assert record["properties"]["email"] == user
        assert record["id"] == next(iter(persons.values()))
        # The persons live in PostgreSQL, not in the data directory.
        assert not (tmp_path / "data" / "persons.sqlite3").exists()
        assert not (tmp_path / "data" / "groups.sqlite3").exists()
    finally:
        server.stop()


def test_scenario_without_buffer_merges_through_an_override(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = {"HEDGEROW_BUFFER_DELAY": "0", "HEDGEROW_PERSONS_URL": postgres_url}
    server = Server(tmp_path / "data", **settings).start()
    try:
        anon, user = unique("XYZ"), unique("alice") + "@example.com"
        uuids = [_post(server, "$pageview", anon), _signup(server, user)]
        server.wait_ingested(2)
        uuids.append(_post(server, "$identify", user, **{"$anon_distinct_id": anon}))
        status = server.wait_ingested(3)
        # The sign-up made alice's person first; the browser's was merged into it, and its
        # pageview counts there through the override.
        assert status["person_overrides"] == 1
        persons = _persons_of_events(server, uuids)
        assert len(persons) == 3 and len(set(persons.values())) == 1
        record = _person_record(server, anon)
        assert sorted(record["distinct_ids"]) == sorted([anon, user])
        assert record["id"] == next(iter(persons.values()))
        with server.api() as api:
            listed = api.get("/api/projects/1/persons/", params={"search": "alice"}).json()
        assert [p["id"] for p in listed["results"]] == [record["id"]]
    finally:
        server.stop()


def test_a_restart_of_postgres_under_load_loses_and_doubles_nothing(
    tmp_path: Path, postgres_cluster: PostgresServer, postgres_url: str
) -> None:
    server = Server(tmp_path / "data", HEDGEROW_PERSONS_URL=postgres_url).start()
    try:
        users = [unique("u") for _ in range(20)]
        sent: list[tuple[str, str]] = []  # (uuid, distinct id) of every acknowledged event

        def send(round_: int) -> None:
            """One /batch/ request with an event of each user."""
            batch = []
            for n, user in enumerate(users):
                event_uuid = str(uuid.uuid4())
                if round_ == 1 and n % 2 == 0:  # half the users identify while it is down
                    event = {"event": "$identify", "distinct_id": user}
                    event["properties"] = {"$anon_distinct_id": f"anon-{user}"}
                else:
                    event = {"event": "$pageview", "distinct_id": f"anon-{user}"}
                    if round_ > 0:
                        event["distinct_id"] = user
                batch.append({**event, "uuid": event_uuid})
                sent.append((event_uuid, user))
            body = {"api_key": TOKEN, "batch": batch}
            assert httpx.post(server.url + "/batch/", json=body).status_code == 200

        send(0)
        server.wait_ingested(len(sent))
        postgres_cluster.stop()  # capture goes on: the intake log is in the data directory
        send(1)
        # A batch failed meanwhile. The server's log says so: its API needs PostgreSQL too
        # (keys, sessions and projects live there) and answers 503 until it is back.
        deadline = time.monotonic() + 30
        while "ingestion batch failed" not in server.log_path.read_text():
            assert time.monotonic() < deadline, "no batch failed while PostgreSQL was down"
            time.sleep(0.05)
        with server.api() as api:
            unavailable = api.get("/api/projects/1/ingestion/")
        assert unavailable.status_code == 503, unavailable.text
        assert unavailable.json()["code"] == "database_unavailable"
        assert unavailable.headers["Retry-After"] == "5"
        postgres_cluster.start()
        send(2)
        status = server.wait_ingested(len(sent), timeout=120)
        assert status["processed"] == len(sent) and status["discarded"] == {}
        rows = server.query(
            {"kind": "EventsQuery", "select": ["uuid", "person_id"], "limit": 10_000}
        )["results"]
        stored = [u for u, _ in rows]
        assert sorted(stored) == sorted(u for u, _ in sent)  # each once, none lost
        person_of = dict(rows)
        for n, user in enumerate(users):
            persons = {person_of[u] for u, owner in sent if owner == user}
            # The identified users' events are one person; the others have two (anonymous,
            # then the id they used in the last round, never linked).
            assert len(persons) == (1 if n % 2 == 0 else 2), user
    finally:
        server.stop()


def test_a_server_that_cannot_reach_postgres_refuses_to_start(tmp_path: Path) -> None:
    url = f"postgresql://hedgerow:secret@127.0.0.1:{free_port()}/hedgerow"
    env = {**os.environ, "HEDGEROW_DATA_DIR": str(tmp_path / "data")}
    env |= {"HEDGEROW_PERSONS_URL": url, "HEDGEROW_PORT": str(free_port())}
    done = subprocess.run(
        [sys.executable, "-m", "hedgerow", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a server that started instead would otherwise run on
    )
    assert done.returncode == 2
    assert "cannot connect to PostgreSQL at postgresql://hedgerow@127.0.0.1" in done.stderr
    assert "secret" not in done.stderr
