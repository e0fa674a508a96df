"""Retention and redaction through the project settings of a real server: events past the
period are deleted (another project's stay), the data usage endpoint reports the rest; the
redacted keys are missing from events and persons captured after the change, and only
from those."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from server import TOKEN, Server, poll

NOW = datetime.now(UTC).replace(microsecond=0)


def _send(server: Server, events: list[dict[str, Any]], token: str = TOKEN) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": token, "batch": events})
    assert response.status_code == 200, response.text


def _usage(server: Server, project: int = 1, key: str | None = None) -> dict[str, Any]:
    with server.api(key) if key else server.api() as client:
        response = client.get(f"/api/projects/{project}/data_usage/")
    assert response.status_code == 200, response.text
    usage: dict[str, Any] = response.json()
    return usage


def _patch(server: Server, body: dict[str, Any]) -> httpx.Response:
    with server.api() as client:
        return client.patch("/api/projects/1/", json=body)


def test_retention_deletes_old_events_of_that_project_only(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        other, other_token, other_key = server.create_project("Other")
        ages = {"ancient": 400, "old": 40, "recent": 20, "today": 0}
        batch = [
            {"event": name, "distinct_id": "u", "timestamp": (NOW - timedelta(days=d)).isoformat()}
            for name, d in ages.items()
        ]
        _send(server, batch)
        _send(server, batch, other_token)
        poll(lambda: _usage(server)["events"], lambda n: n == 4, timeout=30)
        poll(lambda: _usage(server, other, other_key)["events"], lambda n: n == 4, timeout=30)
        usage = _usage(server)
        assert usage["persons"] == 1 and usage["event_bytes"] > 0
        assert usage["oldest_event"].startswith((NOW - timedelta(days=400)).strftime("%Y-%m-%d"))
        assert usage["retention_days"] is None and usage["retention_last_run_at"] is None

        for bad in (0, -1, "30", 36_501):
            refused = _patch(server, {"retention_days": bad})
            assert refused.status_code == 400 and refused.json()["code"] == "invalid_project"
        changed = _patch(server, {"retention_days": 30})
        assert changed.status_code == 200 and changed.json()["retention_days"] == 30

        usage = poll(
            lambda: _usage(server), lambda u: u["retention_last_run_at"] is not None, timeout=30
        )
        assert usage["retention_last_deleted"] == 2 and usage["events"] == 2
        assert usage["oldest_event"].startswith((NOW - timedelta(days=20)).strftime("%Y-%m-%d"))
        assert sorted(e["event"] for e in server.events()) == ["recent", "today"]
        assert _usage(server, other, other_key)["events"] == 4  # no period: kept for ever

        assert _patch(server, {"retention_days": None}).json()["retention_days"] is None
        with server.api() as client:
            assert client.get("/api/projects/1/").json()["retention_days"] is None
    finally:
        server.stop()


def test_redacted_properties_are_removed_from_later_events_and_persons(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:

        def event(distinct_id: str) -> dict[str, Any]:
            return {
                "event": "signed up",
                "distinct_id": distinct_id,
                "properties": {
                    "email": f"{distinct_id}@example.com",
                    "plan": "pro",
                    "$set": {"email": f"{distinct_id}@example.com", "name": distinct_id},
                    "$set_once": {"email": "first@example.com"},
                },
            }

        _send(server, [event("before")])
        server.wait_ingested(1)
        refused = _patch(server, {"redacted_properties": [""]})
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_project"
        changed = _patch(server, {"redacted_properties": ["email", "$ip"]})
        assert changed.json()["redacted_properties"] == ["email", "$ip"]
        _send(server, [event("after")])
        server.wait_ingested(2)

        poll(lambda: len(server.events()), lambda n: n == 2, timeout=30)
        stored = {e["distinct_id"]: e for e in server.events()}
        assert stored["before"]["properties"]["email"] == "before@example.com"
        assert "$ip" in stored["before"]["properties"]
        after = stored["after"]["properties"]
        assert "email" not in after and "$ip" not in after and after["plan"] == "pro"
        assert after["$set"] == {"name": "after"} and after["$set_once"] == {}
        with server.api() as client:
            people = {
                d: client.get("/api/projects/1/persons/", params={"distinct_id": d}).json()
                for d in ("before", "after")
            }
        assert people["before"]["results"][0]["properties"]["email"] == "before@example.com"
        assert people["after"]["results"][0]["properties"] == {"name": "after"}
        sql = (
            "SELECT count() FROM events WHERE properties.email = 'after@example.com' "
            "OR person.properties.email = 'after@example.com'"
        )
        rows = server.query({"kind": "HogQLQuery", "query": sql})["results"]
        assert rows == [[0]]
    finally:
        server.stop()
