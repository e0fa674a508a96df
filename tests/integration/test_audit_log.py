"""The audit log against the real server: each sign-in, user, key, project, action, erasure
and export made through the API or the `hedgerow` command is recorded once, with its actor and
detail and without secrets; entries survive a restart; a project's log shows only its own.
Each test runs with the app tables on SQLite and on PostgreSQL, where the log refuses to be
changed as it does on SQLite."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from app_backends import BACKENDS, app_sql, backend_env

from server import API_KEY, TOKEN, Server

EMAIL = "owner@example.com"
PASSWORD = "correct horse battery"
WRONG = "hunter2-not-the-password"
SECRET_EMAIL = "erase-me@private.example"


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("audit") / "data"
    env = backend_env(request)
    instance = Server(
        data, HEDGEROW_ADMIN_EMAIL=EMAIL, HEDGEROW_ADMIN_PASSWORD=PASSWORD, **env
    ).start()
    yield instance
    if instance.process is not None:
        instance.stop()


def _session(server: Server) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    answer = client.post("/api/login/", json={"email": EMAIL, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRFToken"] = client.cookies["hedgerow_csrftoken"]
    return client


def _log(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    """Every entry of a log, following `next`, newest first."""
    entries: list[dict[str, Any]] = []
    url: str | None = path + "?limit=7"
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        entries += answer.json()["results"]
        url = answer.json()["next"]
    return entries


def _one(entries: list[dict[str, Any]], activity: str, item: object = None) -> dict[str, Any]:
    found = [
        e
        for e in entries
        if e["activity"] == activity and (item is None or e["item_id"] == str(item))
    ]
    assert len(found) == 1, (activity, item, found)
    return found[0]


def _hedgerow(server: Server, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hedgerow", *args]
    env = {**os.environ, **server.env}  # HEDGEROW_PERSONS_URL: the server's app tables
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=120, env=env
    )


def test_sign_ins_and_keys(server: Server) -> None:
    failed = httpx.post(server.url + "/api/login/", json={"email": EMAIL, "password": WRONG})
    assert failed.status_code == 401
    client = _session(server)
    created = client.post("/api/personal_api_keys/", json={"label": "ci robot"})
    assert created.status_code == 201
    key = created.json()
    assert client.delete(f"/api/personal_api_keys/{key['id']}/").status_code == 204

    entries = _log(client, "/api/organizations/@current/activity_log/")
    me = client.get("/api/users/@me/").json()
    signed_in = _one(entries, "signed_in")
    assert signed_in["user"]["email"] == EMAIL and signed_in["actor"]["kind"] == "user"
    assert signed_in["detail"]["ip"] == "127.0.0.1" and signed_in["project_id"] is None
    failure = _one(entries, "sign_in_failed")
    assert failure["actor"] == {"kind": "anonymous", "id": None, "name": EMAIL}
    assert failure["detail"]["reason"] == "wrong_password" and failure["user"] is None
    made = _one(entries, "personal_key_created", key["id"])
    assert made["detail"] == {"label": "ci robot"} and made["user"]["email"] == EMAIL
    assert _one(entries, "personal_key_revoked", key["id"])["user"] == signed_in["user"]
    admin = _one(entries, "user_created")
    assert admin["is_system"] is True and admin["actor"]["kind"] == "system"
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    assert me["email"] == EMAIL

    text = json.dumps(entries) + json.dumps(app_sql(server, "SELECT * FROM audit_log"))
    if "HEDGEROW_PERSONS_URL" not in server.env:  # every table of the file
        text += (server.data_dir / "meta.sqlite3").read_bytes().decode("latin-1")
    assert WRONG not in text and PASSWORD not in json.dumps(entries)
    assert key["value"] not in json.dumps(entries)
    assert client.cookies["hedgerow_session"] not in json.dumps(entries)

    with server.api() as by_project_key:  # a key for a list of projects: not the organization
        refused = by_project_key.get("/api/organizations/@current/activity_log/")
    assert refused.status_code == 403 and refused.json()["code"] == "organization_access_required"


def test_project_and_action_changes(server: Server) -> None:
    client = _session(server)
    before = client.get("/api/projects/1/").json()
    changed = client.patch("/api/projects/1/", json={"name": "Shop", "retention_days": 30})
    assert changed.status_code == 200
    assert client.patch("/api/projects/1/", json={"name": "Shop"}).status_code == 200  # no-op
    with server.api() as by_key:
        assert by_key.patch("/api/projects/1/", json={"timezone": "Europe/Paris"}).is_success
        action = by_key.post(
            "/api/projects/1/actions/", json={"name": "Bought", "steps": [{"event": "buy"}]}
        ).json()
        renamed = by_key.patch(f"/api/projects/1/actions/{action['id']}/", json={"name": "Paid"})
        assert renamed.status_code == 200
        deleted = by_key.delete(f"/api/projects/1/actions/{action['id']}/")
        assert deleted.status_code == 204
    new_project = client.post("/api/projects/", json={"name": "Blog"}).json()

    entries = _log(client, "/api/projects/1/activity_log/")
    updates = [e for e in entries if e["activity"] == "project_updated"]
    assert len(updates) == 2  # the no-op PATCH recorded nothing
    by_user, by_key_entry = updates[1], updates[0]  # oldest last
    assert by_user["user"]["email"] == EMAIL and by_user["item_id"] == "1"
    assert by_user["detail"]["changes"] == [
        {"field": "name", "before": before["name"], "after": "Shop"},
        {"field": "retention_days", "before": None, "after": 30},
    ]
    assert by_key_entry["actor"]["kind"] == "key" and by_key_entry["user"] is None
    assert by_key_entry["actor"]["name"] == "first start"
    assert by_key_entry["detail"]["changes"] == [
        {"field": "timezone", "before": "UTC", "after": "Europe/Paris"}
    ]
    assert _one(entries, "action_created", action["id"])["detail"] == {"name": "Bought"}
    assert _one(entries, "action_updated", action["id"])["detail"]["changes"] == [
        {"field": "name", "before": "Bought", "after": "Paid"}
    ]
    assert _one(entries, "action_deleted", action["id"])["detail"]["changes"] == [
        {"field": "deleted", "before": False, "after": True}
    ]
    assert all(e["project_id"] == 1 for e in entries)
    assert not [e for e in entries if e["activity"] == "project_created"]
    blog_log = _log(client, f"/api/projects/{new_project['id']}/activity_log/")
    assert [e["activity"] for e in blog_log] == ["project_created"]
    assert blog_log[0]["detail"] == {"name": "Blog", "timezone": "UTC"}


def test_erasure_and_export(server: Server) -> None:
    batch = [
        {"event": "$identify", "distinct_id": "eve-7731", "$set": {"email": SECRET_EMAIL}},
        {"event": "viewed", "distinct_id": "eve-7731", "properties": {"plan": "gold"}},
    ]
    posted = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    assert posted.status_code == 200
    server.wait_ingested(2)
    deadline = time.monotonic() + 30
    while len(server.events(event="viewed")) < 1:  # stored, not only ingested
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with server.api() as client:
        [person] = client.get("/api/projects/1/persons/?distinct_id=eve-7731").json()["results"]
        assert person["properties"]["email"] == SECRET_EMAIL
        exported = client.post(
            "/api/projects/1/exports/",
            json={"format": "csv", "query": {"kind": "EventsQuery", "event": "viewed"}},
        )
        assert exported.status_code == 200
        rows = int(exported.headers["X-Hedgerow-Row-Count"])
        job = client.delete(f"/api/projects/1/persons/{person['id']}/?delete_events=true").json()
        entries = _log(client, "/api/projects/1/activity_log/")

    erased = _one(entries, "person_erased", person["id"])
    assert erased["detail"] == {"job_id": job["id"], "delete_events": True, "persons": 1}
    assert erased["actor"]["kind"] == "key"
    export = _one(entries, "export_run")
    assert export["detail"] == {"format": "csv", "query_kind": "EventsQuery", "rows": rows}
    assert rows == 1
    assert SECRET_EMAIL not in json.dumps(entries) and "gold" not in json.dumps(entries)
    assert "eve-7731" not in json.dumps([e["detail"] for e in entries])


def test_commands_restart_and_isolation(server: Server) -> None:
    data = ["--data-dir", str(server.data_dir)]
    added = _hedgerow(
        server,
        "users",
        "add",
        "ann@example.com",
        "--password-stdin",
        *data,
        stdin="a long password\n",
    )
    assert added.returncode == 0, added.stderr
    reset = _hedgerow(
        server,
        "users",
        "set-password",
        "ann@example.com",
        "--password-stdin",
        *data,
        stdin="another long password\n",
    )
    assert reset.returncode == 0, reset.stderr
    other_id, _token, other_key = server.create_project("Other")
    deleted = _hedgerow(
        server,
        "persons",
        "delete",
        "nobody-at-all",
        "--project",
        "1",
        "--url",
        server.url,
        "--api-key",
        API_KEY,
        "--yes",
    )
    assert deleted.returncode == 1  # an unknown person: nothing erased, nothing recorded

    server.stop()  # `hedgerow export` opens the embedded store itself
    out = server.data_dir.parent / "viewed.jsonl"
    exported = _hedgerow(
        server, "export", "--format", "jsonl", "--project", "1", *data, "--no-progress", str(out)
    )
    assert exported.returncode == 0, exported.stderr
    server.start()

    client = _session(server)
    org = _log(client, "/api/organizations/@current/activity_log/")
    [ann] = [e for e in org if e["activity"] == "user_created" and e["actor"]["kind"] == "cli"]
    assert ann["actor"] == {"kind": "cli", "id": None, "name": ""} and ann["is_system"]
    assert _one(org, "password_changed")["item_id"] == ann["item_id"]
    other_log = _log(client, f"/api/projects/{other_id}/activity_log/")
    assert [e["activity"] for e in other_log] == ["project_created"]
    assert other_log[0]["actor"]["kind"] == "cli"
    assert len([e for e in org if e["activity"] == "personal_key_created"]) == 2  # + ci robot
    first = _log(client, "/api/projects/1/activity_log/")
    cli_export = [e for e in first if e["activity"] == "export_run" and e["is_system"]]
    assert len(cli_export) == 1 and cli_export[0]["detail"]["format"] == "jsonl"
    assert _one(first, "person_erased")  # recorded before the restart, still there
    assert all(e["project_id"] == 1 for e in first)

    with server.api(other_key) as other:
        assert other.get(f"/api/projects/{other_id}/activity_log/").status_code == 200
        hidden = other.get("/api/projects/1/activity_log/")
        assert hidden.status_code in (403, 404), hidden.text
        assert other.get("/api/projects/999/activity_log/").status_code == 404


def test_entries_are_never_changed_or_deleted(server: Server) -> None:
    """Even a statement beside the server, on the tables themselves, is refused."""
    statements = ["UPDATE audit_log SET activity = 'forged'", "DELETE FROM audit_log"]
    if "HEDGEROW_PERSONS_URL" in server.env:
        statements.append("TRUNCATE audit_log")
    before = app_sql(server, "SELECT * FROM audit_log ORDER BY id")
    assert before
    for statement in statements:
        with pytest.raises((sqlite3.Error, psycopg.Error), match="audit log entries are never"):
            app_sql(server, statement)
    assert app_sql(server, "SELECT * FROM audit_log ORDER BY id") == before
