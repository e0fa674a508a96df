"""The audit log's entries for sign-outs and for the server's own work, against the real
server: a session ended is recorded once (a logout without a session records nothing); an
erasure job that finishes and a retention run that deletes events are recorded by `system`,
with their counts and without naming the person."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from server import TOKEN, Server, poll

EMAIL = "owner@example.com"
PASSWORD = "correct horse battery"
NOW = datetime.now(UTC).replace(microsecond=0)


def _entries(client: httpx.Client, path: str, activity: str) -> list[dict[str, Any]]:
    answer = client.get(path, params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json()["results"] if e["activity"] == activity]


def _project_entries(server: Server, activity: str) -> list[dict[str, Any]]:
    with server.api() as client:
        return _entries(client, "/api/projects/1/activity_log/", activity)


def test_sign_out_and_the_servers_own_jobs_are_recorded(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "data", HEDGEROW_ADMIN_EMAIL=EMAIL, HEDGEROW_ADMIN_PASSWORD=PASSWORD
    ).start()
    organization_log = "/api/organizations/@current/activity_log/"
    try:
        # Sign out: the session's user, once; a second logout (no session left) adds nothing.
        with httpx.Client(base_url=server.url, timeout=30) as browser:
            signed_in = browser.post("/api/login/", json={"email": EMAIL, "password": PASSWORD})
            assert signed_in.status_code == 200, signed_in.text
            headers = {"X-CSRFToken": browser.cookies["hedgerow_csrftoken"]}
            assert browser.post("/api/logout/", headers=headers).status_code == 200
            assert browser.post("/api/logout/", headers=headers).status_code == 200
            again = browser.post("/api/login/", json={"email": EMAIL, "password": PASSWORD})
            assert again.status_code == 200, again.text
            [signed_out] = _entries(browser, organization_log, "signed_out")
        assert signed_out["actor"]["kind"] == "user" and signed_out["actor"]["name"] == EMAIL
        assert signed_out["user"]["email"] == EMAIL and signed_out["detail"] == {"ip": "127.0.0.1"}
        assert signed_out["project_id"] is None

        # The person's events: two recent, and two past the retention period set below.
        ages = {"ancient": 400 * 24 * 60, "old": 40 * 24 * 60, "recent": 60, "today": 1}
        batch = [
            {
                "event": name,
                "distinct_id": "erin@private.example",
                "uuid": str(uuid.uuid4()),
                "timestamp": (NOW - timedelta(minutes=minutes)).isoformat(),
                "properties": {"$device_id": "erin@private.example"},
            }
            for name, minutes in ages.items()
        ]
        answer = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
        assert answer.status_code == 200, answer.text
        since = (NOW - timedelta(days=500)).isoformat()
        poll(lambda: len(server.events(after=since)), lambda n: n == 4)

        # Retention: one entry for the run that deleted the two old events.
        with server.api() as client:
            changed = client.patch("/api/projects/1/", json={"retention_days": 30})
            assert changed.status_code == 200, changed.text
        [retention] = poll(
            lambda: _project_entries(server, "retention_deleted"),
            lambda found: len(found) == 1,
        )
        assert retention["actor"] == {"kind": "system", "id": None, "name": ""}
        assert retention["is_system"] and retention["item_id"] == "1"
        assert retention["detail"]["events_deleted"] == 2
        assert retention["detail"]["retention_days"] == 30
        # The cutoff is the run's own "now" less 30 days: between this test's start and now
        # (a day-prefix comparison would fail for a run that crosses UTC midnight).
        cutoff = datetime.fromisoformat(retention["detail"]["cutoff"]).replace(tzinfo=UTC)
        earliest = NOW - timedelta(days=30, seconds=1)
        assert earliest <= cutoff <= datetime.now(UTC) - timedelta(days=30), cutoff

        # Erasure: the request is the caller's `person_erased`, its end the system's entry.
        with server.api() as client:
            [person] = client.get(
                "/api/projects/1/persons/", params={"distinct_id": "erin@private.example"}
            ).json()["results"]
            job = client.delete(
                f"/api/projects/1/persons/{person['id']}/", params={"delete_events": "true"}
            ).json()
        [finished] = poll(
            lambda: _project_entries(server, "erasure_finished"),
            lambda found: len(found) == 1,
        )
        assert finished["actor"]["kind"] == "system" and finished["item_id"] == str(job["id"])
        assert finished["scope"] == "ErasureJob" and finished["project_id"] == 1
        detail = finished["detail"]
        assert (detail["persons"], detail["distinct_ids"], detail["events_deleted"]) == (1, 1, 2)
        assert detail["delete_events"] is True and detail["seconds"] >= 0
        assert "erin" not in str(finished)
    finally:
        server.stop()
