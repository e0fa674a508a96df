"""The app's own tables on PostgreSQL (HEDGEROW_PERSONS_URL), end to end: a user signs in to
`serve`, makes a project, a separate `hedgerow capture` process (with a data directory of its
own) accepts events for it at once, they are read back; after a restart the user, the
session, the project, its action and insight and its events are all still there, and no
`meta.sqlite3` was ever written. `hedgerow migrate` applies the schema once, even when
started twice at the same moment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

from nats_server import NatsServer

from server import Server

EMAIL = "owner@example.com"
PASSWORD = "correct horse battery"
TRENDS = {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "bought"}]}


def _sign_in(server: Server) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    answer = client.post("/api/login/", json={"email": EMAIL, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRFToken"] = client.cookies["hedgerow_csrftoken"]
    return client


def _uuids_stored(client: httpx.Client, project: int) -> set[str]:
    query = {"kind": "EventsQuery", "select": ["uuid"], "limit": 1000}
    answer = client.post(f"/api/projects/{project}/query/", json={"query": query})
    assert answer.status_code == 200, answer.text
    return {row[0] for row in answer.json()["results"]}


def _wait_stored(client: httpx.Client, project: int, expected: set[str]) -> None:
    deadline = time.monotonic() + 60
    while (found := _uuids_stored(client, project)) != expected:
        assert time.monotonic() < deadline, f"{len(found)} of {len(expected)} events stored"
        time.sleep(0.1)


def _created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql.encode()).fetchall()


def test_projects_users_and_saved_things_live_on_postgres(
    tmp_path: Path, postgres_url: str, nats_server: NatsServer
) -> None:
    env = {
        "HEDGEROW_PERSONS_URL": postgres_url,
        "HEDGEROW_INTAKE_URL": nats_server.url,
        "HEDGEROW_ADMIN_EMAIL": EMAIL,
        "HEDGEROW_ADMIN_PASSWORD": PASSWORD,
    }
    data = tmp_path / "data"
    serve = Server(data, **env).start()
    capture = Server(tmp_path / "capture-data", command="capture", **env).start()
    try:
        client = _sign_in(serve)
        project = _created(client.post("/api/projects/", json={"name": "Shop"}))
        sent = {str(uuid.uuid4()) for _ in range(25)}
        batch = [{"event": "bought", "distinct_id": f"buyer-{u[:6]}", "uuid": u} for u in sent]
        accepted = httpx.post(
            capture.url + "/batch/", json={"api_key": project["api_token"], "batch": batch}
        )
        assert accepted.status_code == 200, accepted.text  # capture knew the new project
        _wait_stored(client, project["id"], sent)
        base = f"/api/projects/{project['id']}"
        action = _created(
            client.post(base + "/actions/", json={"name": "Bought", "steps": [{"event": "bought"}]})
        )
        insight = _created(
            client.post(base + "/insights/", json={"name": "Sales", "query": TRENDS})
        )
    finally:
        capture.stop()
        serve.stop()

    assert not (data / "meta.sqlite3").exists()
    assert not (tmp_path / "capture-data" / "meta.sqlite3").exists()
    names = [name for (name,) in _rows(postgres_url, "SELECT name FROM projects ORDER BY id")]
    assert names == ["Default project", "Shop"]
    assert _rows(postgres_url, "SELECT email FROM users") == [(EMAIL,)]

    serve.start()
    try:
        me = client.get("/api/users/@me/")  # the session made before the restart
        assert me.status_code == 200 and me.json()["email"] == EMAIL
        again = _sign_in(serve)
        listed = again.get("/api/projects/").json()["results"]
        assert [p["name"] for p in listed] == ["Default project", "Shop"]
        assert _uuids_stored(again, project["id"]) == sent
        kept = again.get(f"{base}/actions/{action['id']}/").json()
        assert kept["name"] == "Bought" and kept["steps"][0]["event"] == "bought"
        saved = again.get(f"{base}/insights/{insight['id']}/").json()
        assert saved["name"] == "Sales" and saved["query"] == TRENDS
        entries = again.get("/api/organizations/@current/activity_log/").json()["results"]
        assert {"project_created", "signed_in"} <= {e["activity"] for e in entries}
    finally:
        serve.stop()


def _migrate(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HEDGEROW_PERSONS_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "hedgerow", "migrate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_migrate_applies_the_schema_once(postgres_url: str) -> None:
    first, second = _migrate(postgres_url), _migrate(postgres_url)  # at the same moment
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    printed = "".join(out for out, _ in outputs)
    for component, versions in (("persons", 2), ("app", 1), ("ingestion", 1)):
        # one process applied them all, the other found nothing to do
        assert printed.count(f"{component}: {versions} migration(s) applied") == 1, printed
        assert printed.count(f"{component}: 0 migration(s) applied") == 1, printed
    recorded = _rows(
        postgres_url,
        "SELECT component, version FROM hedgerow_migrations ORDER BY component, version",
    )
    assert recorded == [("app", 1), ("ingestion", 1), ("persons", 1), ("persons", 2)]
    organizations = _rows(postgres_url, "SELECT id, name FROM organizations")
    assert organizations == [(1, "Default organization")]

    again = _migrate(postgres_url)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0 and "app: 0 migration(s) applied" in out, (out, err)


def test_migrate_names_what_it_cannot_reach(tmp_path: Path) -> None:
    closed = "postgresql://hedgerow:s3cret@127.0.0.1:1/hedgerow"
    failed = _migrate(closed)
    out, err = failed.communicate(timeout=120)
    assert failed.returncode == 1
    assert "127.0.0.1:1/hedgerow" in err and "s3cret" not in err + out
    command = [sys.executable, "-m", "hedgerow", "project", "create", "--name", "Shop"]
    project = subprocess.run(
        [*command, "--data-dir", str(tmp_path / "data")],
        env={**os.environ, "HEDGEROW_PERSONS_URL": closed},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert project.returncode == 1 and "Traceback" not in project.stderr
    assert "cannot connect to PostgreSQL at postgresql://hedgerow@127.0.0.1:1" in project.stderr

    embedded = subprocess.run(
        [sys.executable, "-m", "hedgerow", "migrate", "--data-dir", str(tmp_path / "data")],
        env={k: v for k, v in os.environ.items() if k != "HEDGEROW_PERSONS_URL"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert embedded.returncode == 0 and "nothing to migrate" in embedded.stderr
