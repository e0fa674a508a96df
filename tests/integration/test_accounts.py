"""Users, sessions, CSRF, personal API keys and projects, against the real server, with the
app tables on SQLite and on PostgreSQL (`admin_server` runs once on each)."""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app_backends import BACKENDS, app_sql, app_tables_of, backend_env
from hedgerow.accounts.passwords import hash_password
from hedgerow.accounts.users import UserStore
from hedgerow.app_tables.connection import close_app_tables
from hedgerow.projects import ProjectCatalog

from server import API_KEY, TOKEN, Server

EMAIL = "admin@example.com"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=BACKENDS)
def admin_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server whose first user comes from HEDGEROW_ADMIN_EMAIL / HEDGEROW_ADMIN_PASSWORD."""
    data = tmp_path_factory.mktemp("accounts") / "data"
    env = backend_env(request)
    instance = Server(
        data, HEDGEROW_ADMIN_EMAIL=EMAIL.upper(), HEDGEROW_ADMIN_PASSWORD=PASSWORD, **env
    ).start()
    yield instance
    instance.stop()


def sign_in(server: Server, email: str = EMAIL, password: str = PASSWORD) -> httpx.Client:
    """A client holding the session cookies, sending the CSRF token as the web app does."""
    client = httpx.Client(base_url=server.url, timeout=30)
    answer = client.post("/api/login/", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRFToken"] = client.cookies["hedgerow_csrftoken"]
    return client


def test_sign_in_me_and_sign_out(admin_server: Server) -> None:
    assert "set up:" not in admin_server.log_path.read_text()  # the admin exists: no link
    client = httpx.Client(base_url=admin_server.url, timeout=30)
    answer = client.post("/api/login/", json={"email": EMAIL, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["email"] == EMAIL
    cookies = answer.headers.get_list("set-cookie")
    [session] = [c for c in cookies if c.startswith("hedgerow_session=")]
    [csrf] = [c for c in cookies if c.startswith("hedgerow_csrftoken=")]
    assert "httponly" in session.lower() and "samesite=lax" in session.lower()
    assert "httponly" not in csrf.lower() and "samesite=lax" in csrf.lower()
    assert "secure" not in session.lower()  # --secure-cookies is off by default

    me = client.get("/api/users/@me/").json()
    assert me["email"] == EMAIL
    assert me["organization"]["name"] == "Default organization"
    assert me["team"]["id"] == 1 and me["team"]["api_token"] == TOKEN
    assert [p["id"] for p in me["projects"]] == [1]
    assert client.get("/api/projects/1/ingestion/").status_code == 200

    stolen = client.cookies["hedgerow_session"]
    token = client.cookies["hedgerow_csrftoken"]
    out = client.post("/api/logout/", headers={"X-CSRFToken": token})
    assert out.status_code == 200 and out.json() == {}
    assert "hedgerow_session" not in client.cookies
    # The same cookie, replayed, is refused: the session ended on the server.
    replay = httpx.get(
        admin_server.url + "/api/users/@me/", headers={"Cookie": f"hedgerow_session={stolen}"}
    )
    assert replay.status_code == 401 and replay.json()["code"] == "not_authenticated"


def test_wrong_password_and_unknown_email_are_refused(admin_server: Server) -> None:
    for email, password in ((EMAIL, "wrong password"), ("nobody@example.com", PASSWORD)):
        answer = httpx.post(
            admin_server.url + "/api/login/", json={"email": email, "password": password}
        )
        assert answer.status_code == 401 and answer.json()["code"] == "invalid_credentials"
        assert "hedgerow_session" not in answer.cookies
    assert httpx.get(admin_server.url + "/api/users/@me/").status_code == 401


def test_csrf_token_is_needed_for_cookie_requests_that_change_things(
    admin_server: Server,
) -> None:
    client = sign_in(admin_server)
    action = {"name": f"csrf {uuid.uuid4()}", "steps": [{"event": "x"}]}
    path = "/api/projects/1/actions/"
    for headers in ({"X-CSRFToken": ""}, {"X-CSRFToken": "not-the-token"}):
        refused = client.post(path, json=action, headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert client.get(path).status_code == 200  # reading needs no token
    names = [a["name"] for a in client.get(path).json()["results"]]
    assert action["name"] not in names  # the refused requests changed nothing
    assert client.post(path, json=action).status_code == 201  # with the token
    with admin_server.api() as keyed:  # a Bearer key needs no token
        other = {**action, "name": action["name"] + " (key)"}
        assert keyed.post(path, json=other).status_code == 201


def test_personal_api_keys_list_create_revoke(admin_server: Server) -> None:
    client = sign_in(admin_server)
    made = client.post("/api/personal_api_keys/", json={"label": "laptop"})
    assert made.status_code == 201, made.text
    key = made.json()
    assert key["value"].startswith("phx_") and key["mask"] == key["value"][:8] + "..."
    listed = client.get("/api/personal_api_keys/").json()["results"]
    assert [k["id"] for k in listed if k["label"] == "laptop"] == [key["id"]]
    assert key["value"] not in str(listed) and all("value" not in k for k in listed)

    with admin_server.api(key["value"]) as keyed:
        # The key sees every project of the organization, including one made after it.
        later = client.post("/api/projects/", json={"name": "Later"}).json()
        seen = [p["id"] for p in keyed.get("/api/projects/").json()["results"]]
        assert 1 in seen and later["id"] in seen
        me = keyed.get("/api/users/@me/").json()
        assert me["email"] is None and me["team"]["id"] == 1
        refused = keyed.post("/api/personal_api_keys/", json={"label": "more"})
        assert refused.status_code == 403 and refused.json()["code"] == "session_required"

        assert client.delete(f"/api/personal_api_keys/{key['id']}/").status_code == 204
        revoked = keyed.get("/api/projects/")
        assert revoked.status_code == 401 and revoked.json()["code"] == "authentication_failed"
    listed = client.get("/api/personal_api_keys/").json()["results"]
    assert key["id"] not in [k["id"] for k in listed]
    assert client.delete(f"/api/personal_api_keys/{key['id']}/").status_code == 404
    with admin_server.api() as first:  # the key made at first start keeps working
        assert first.get("/api/projects/1/").status_code == 200


def _send(server: Server, token: str, event: str) -> None:
    answer = httpx.post(
        server.url + "/e/", json={"event": event, "distinct_id": "d", "token": token}
    )
    assert answer.status_code == 200


def _names(client: httpx.Client, project: int) -> list[str]:
    query = {"kind": "EventsQuery", "select": ["event"], "limit": 100}
    answer = client.post(f"/api/projects/{project}/query/", json={"query": query})
    assert answer.status_code == 200, answer.text
    return [row[0] for row in answer.json()["results"]]


def test_a_new_project_sees_nothing_of_the_first(admin_server: Server) -> None:
    client = sign_in(admin_server)
    made = client.post("/api/projects/", json={"name": "Shop", "timezone": "Europe/Paris"})
    assert made.status_code == 201, made.text
    shop = made.json()
    assert shop["api_token"].startswith("phc_") and shop["api_token"] != TOKEN
    assert shop["timezone"] == "Europe/Paris"
    key = client.post("/api/personal_api_keys/", json={"label": "org"}).json()["value"]
    marker = str(uuid.uuid4())
    _send(admin_server, TOKEN, f"first {marker}")
    _send(admin_server, shop["api_token"], f"shop {marker}")
    admin_server.wait_ingested(1, project=shop["id"], key=key)
    deadline = time.monotonic() + 30
    while f"first {marker}" not in _names(client, 1):  # both events are stored
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with admin_server.api(key) as keyed:
        for reader in (client, keyed):
            assert _names(reader, shop["id"]) == [f"shop {marker}"]
            assert f"shop {marker}" not in _names(reader, 1)

    switched = client.patch("/api/users/@me/", json={"set_current_team": shop["id"]})
    assert switched.status_code == 200 and switched.json()["team"]["id"] == shop["id"]
    assert client.get("/api/users/@me/").json()["team"]["id"] == shop["id"]
    unknown = client.patch("/api/users/@me/", json={"set_current_team": 10**6})
    assert unknown.status_code == 404


def test_security_headers(admin_server: Server) -> None:
    demo = httpx.get(admin_server.url + "/demo")
    policy = demo.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert demo.headers["x-frame-options"] == "DENY"
    assert demo.headers["referrer-policy"] == "same-origin"
    assert demo.headers["x-content-type-options"] == "nosniff"
    api = httpx.get(admin_server.url + "/api/projects/")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers
    sdk = httpx.get(admin_server.url + "/static/hedgerow.js")
    assert sdk.headers["access-control-allow-origin"] == "*"  # still loads on any site
    for name in ("demo.js", "demo.css"):
        assert httpx.get(f"{admin_server.url}/static/{name}").status_code == 200


def test_sign_in_rate_limit(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "data",
        HEDGEROW_ADMIN_EMAIL=EMAIL,
        HEDGEROW_ADMIN_PASSWORD=PASSWORD,
        HEDGEROW_SIGN_IN_MAX_FAILURES="3",
        HEDGEROW_SIGN_IN_WINDOW="2",
    ).start()
    try:
        url = server.url + "/api/login/"
        for _ in range(3):
            wrong = httpx.post(url, json={"email": EMAIL, "password": "guess guess"})
            assert wrong.status_code == 401
        blocked = httpx.post(url, json={"email": EMAIL, "password": PASSWORD})
        assert blocked.status_code == 429, blocked.text
        assert blocked.json()["code"] == "too_many_sign_in_attempts"
        assert 1 <= int(blocked.headers["retry-after"]) <= 2
        # Once the failures leave the window, the right password works again.
        deadline = time.monotonic() + 15
        while (
            answer := httpx.post(url, json={"email": EMAIL, "password": PASSWORD})
        ).status_code == 429:
            assert time.monotonic() < deadline, answer.text
            time.sleep(0.2)
        assert answer.status_code == 200, answer.text
    finally:
        server.stop()


def test_setup_link_makes_the_first_user_once(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        lines = [ln for ln in server.log_path.read_text().splitlines() if "set up:" in ln]
        assert len(lines) == 1, server.log_path.read_text()
        link = lines[0].split("set up:", 1)[1].strip()
        assert link.startswith(f"{server.url}/setup?token=")
        token = link.split("token=", 1)[1]
        assert httpx.get(server.url + "/api/setup/").json() == {"needed": True}

        body = {"token": "wrong", "email": "first@example.com", "password": PASSWORD}
        wrong = httpx.post(server.url + "/api/setup/", json=body)
        assert wrong.status_code == 403 and wrong.json()["code"] == "invalid_setup_token"
        short = httpx.post(
            server.url + "/api/setup/", json={**body, "token": token, "password": "short"}
        )
        assert short.status_code == 400 and short.json()["code"] == "invalid_password"

        client = httpx.Client(base_url=server.url, timeout=30)
        made = client.post("/api/setup/", json={**body, "token": token})
        assert made.status_code == 200, made.text
        assert made.json()["user"]["email"] == "first@example.com"
        assert client.get("/api/users/@me/").json()["email"] == "first@example.com"
        assert httpx.get(server.url + "/api/setup/").json() == {"needed": False}

        again = httpx.post(
            server.url + "/api/setup/", json={**body, "token": token, "email": "second@example.com"}
        )
        assert again.status_code == 403
        refused = httpx.post(
            server.url + "/api/login/", json={"email": "second@example.com", "password": PASSWORD}
        )
        assert refused.status_code == 401
        assert sign_in(server, "first@example.com").get("/api/users/@me/").status_code == 200
    finally:
        server.stop()


def test_old_meta_sqlite3_is_upgraded(tmp_path: Path) -> None:
    """A data directory from before accounts: its project joins the default organization
    and its key keeps working."""
    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / "meta.sqlite3")
    conn.executescript(OLD_META)
    conn.close()
    server = Server(data, HEDGEROW_ADMIN_EMAIL=EMAIL, HEDGEROW_ADMIN_PASSWORD=PASSWORD).start()
    try:
        with server.api(API_KEY) as old:
            assert [p["name"] for p in old.get("/api/projects/").json()["results"]] == ["Old"]
        me = sign_in(server).get("/api/users/@me/").json()
        assert me["organization"] == {"id": 1, "name": "Default organization"}
        assert [p["name"] for p in me["projects"]] == ["Old"]
    finally:
        server.stop()


# meta.sqlite3 as the version before accounts wrote it, with project 1 and API_KEY's hash.
KEY_HASH = hashlib.sha256(API_KEY.encode()).hexdigest()
OLD_META = f"""
CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, token TEXT NOT NULL UNIQUE,
    timezone TEXT NOT NULL DEFAULT 'UTC', created_at REAL NOT NULL
);
CREATE TABLE api_keys (key_hash TEXT PRIMARY KEY, label TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE api_key_projects (
    key_hash TEXT NOT NULL REFERENCES api_keys(key_hash),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    PRIMARY KEY (key_hash, project_id)
);
INSERT INTO projects VALUES (1, 'Old', '{TOKEN}', 'UTC', 0);
INSERT INTO api_keys VALUES ('{KEY_HASH}', 'x', 0);
INSERT INTO api_key_projects VALUES ('{KEY_HASH}', 1);
"""


def test_a_user_sees_only_the_projects_of_their_organization(admin_server: Server) -> None:
    """Organizations are made only at bootstrap today; a second one is written here directly,
    beside the running server, as a later version's API would."""
    [(organization,)] = app_sql(
        admin_server,
        "INSERT INTO organizations (name, created_at) VALUES ('Other', 0) RETURNING id",
    )
    tables = app_tables_of(admin_server)
    catalog = ProjectCatalog(tables)
    theirs = catalog.create_project("Theirs", organization_id=organization)
    catalog.close()
    users = UserStore(tables)
    users.create("other@example.com", hash_password(PASSWORD), organization)
    users.close()
    close_app_tables(tables)

    other = sign_in(admin_server, "other@example.com")
    me = other.get("/api/users/@me/").json()
    assert me["organization"]["name"] == "Other"
    assert [p["id"] for p in me["projects"]] == [theirs.id] and me["team"]["id"] == theirs.id
    listed = other.get("/api/projects/").json()["results"]
    assert [p["id"] for p in listed] == [theirs.id]
    assert other.get("/api/projects/1/").status_code == 403
    made = other.post("/api/projects/", json={"name": "Also theirs"}).json()
    first = sign_in(admin_server)
    assert made["id"] not in [p["id"] for p in first.get("/api/projects/").json()["results"]]
    assert first.get(f"/api/projects/{theirs.id}/").status_code == 403
