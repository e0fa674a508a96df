"""The project field `cookieless_server_hash_mode` through the API of a real server: read,
changed, refused outside 0..2, and scoped to the projects a key may see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = Server(tmp_path_factory.mktemp("cookieless") / "data").start()
    yield started
    started.stop()


def test_mode_is_off_by_default_and_changes(server: Server) -> None:
    with server.api() as client:
        assert client.get("/api/projects/1/").json()["cookieless_server_hash_mode"] == 0
        changed = client.patch("/api/projects/1/", json={"cookieless_server_hash_mode": 2})
        assert changed.status_code == 200 and changed.json()["cookieless_server_hash_mode"] == 2
        listed = client.get("/api/projects/").json()["results"]
        assert [p["cookieless_server_hash_mode"] for p in listed if p["id"] == 1] == [2]
        # other fields leave it alone
        client.patch("/api/projects/1/", json={"name": "Renamed"})
        assert client.get("/api/projects/1/").json()["cookieless_server_hash_mode"] == 2
        client.patch("/api/projects/1/", json={"cookieless_server_hash_mode": 0})


@pytest.mark.parametrize("value", [3, -1, True, "1", 1.5])
def test_other_values_are_refused(server: Server, value: object) -> None:
    with server.api() as client:
        answer = client.patch("/api/projects/1/", json={"cookieless_server_hash_mode": value})
        assert answer.status_code == 400
        assert answer.json()["code"] == "invalid_project"
        assert client.get("/api/projects/1/").json()["cookieless_server_hash_mode"] == 0


def test_another_projects_mode_cannot_be_changed(server: Server) -> None:
    other, _token, other_key = server.create_project("Other")
    with server.api(other_key) as client:
        answer = client.patch("/api/projects/1/", json={"cookieless_server_hash_mode": 1})
        assert answer.status_code == 403  # docs/api.md: another key's project is 403
    with server.api() as client:
        assert client.get("/api/projects/1/").json()["cookieless_server_hash_mode"] == 0
        assert client.get(f"/api/projects/{other}/").status_code == 403
