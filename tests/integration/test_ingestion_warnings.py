"""Ingestion warnings read back through the API: events that ingestion discards or warns
about (a repeated uuid, an identity event without person processing, a merge with a
placeholder id, an over-long name) are listed and summed per type and per day of the
project's time zone, and one project never sees another's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from server_now import asked_now

from server import Server

# UTC+14 all year: its day is another day than UTC's for ten hours of each day, and the
# summary must count in the project's days.
ZONE = "Pacific/Kiritimati"
PERSONLESS = "$process_person_profile"


def send(server: Server, token: str, events: list[dict[str, Any]]) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": token, "batch": events})
    assert response.status_code == 200, response.text


def event(name: str, distinct_id: str, **properties: Any) -> dict[str, Any]:
    return {"event": name, "distinct_id": distinct_id, "properties": properties}


def send_warned_events(server: Server, project: int, token: str, key: str) -> str:
    """Five warnings of four types; answers the uuid sent twice."""
    repeated = str(uuid.uuid4())
    send(server, token, [{**event("Plan purchased", "ada"), "uuid": repeated}])
    server.wait_ingested(1, project=project, key=key)
    send(
        server,
        token,
        [
            {**event("Plan purchased", "ada"), "uuid": repeated},  # duplicate_event
            event("$identify", "ada", **{"$anon_distinct_id": "anonymous"}),
            event("$identify", "bob", **{"$anon_distinct_id": "null"}),
            event("$identify", "cy", **{"$anon_distinct_id": "x", PERSONLESS: False}),
            event("x" * 250, "ada"),  # event_name_truncated
        ],
    )
    server.wait_ingested(6, project=project, key=key)
    return repeated


def test_summary_counts_each_type_per_project_day_and_samples_by_type(server: Server) -> None:
    project, token, key = server.create_project("Warned", timezone=ZONE)
    other, _, other_key = server.create_project("Quiet")
    zone = ZoneInfo(ZONE)
    sent_on = {datetime.now(zone).date()}
    repeated = send_warned_events(server, project, token, key)
    sent_on.add(datetime.now(zone).date())  # one day, or two when its midnight came between

    with server.api(key) as client:
        # The summary's 30 days end with the server's today when it answered.
        summary, today = asked_now(
            lambda: client.get(f"/api/projects/{project}/ingestion/warnings/summary/").json(),
            lambda now: now.astimezone(zone).date(),
        )
        listed = client.get(
            f"/api/projects/{project}/ingestion/warnings/", params={"type": "duplicate_event"}
        ).json()["results"]
        everything = client.get(f"/api/projects/{project}/ingestion/warnings/").json()["results"]

    assert summary["days"] == 30 and summary["timezone"] == ZONE
    by_type = {row["type"]: row for row in summary["results"]}
    assert {t: (r["count"], r["discards"]) for t, r in by_type.items()} == {
        "duplicate_event": (1, True),
        "invalid_event_when_process_person_profile_is_false": (1, True),
        "cannot_merge_with_illegal_distinct_id": (2, False),
        "event_name_truncated": (1, False),
    }
    for row in summary["results"]:
        days = row["days"]
        assert len(days) == 30
        assert days[0]["date"] == (today - timedelta(days=29)).isoformat()
        assert days[-1]["date"] == today.isoformat()
        assert sum(d["count"] for d in days) == row["count"]
        assert {d["date"] for d in days if d["count"]} <= {day.isoformat() for day in sent_on}
        last_seen = datetime.fromisoformat(row["last_seen"])
        assert timedelta(0) <= datetime.now(UTC) - last_seen < timedelta(minutes=2)

    # Samples of one type: the repeated uuid, with no other type mixed in.
    assert [(w["type"], w["event_uuid"]) for w in listed] == [("duplicate_event", repeated)]
    assert len(everything) == 5

    # The other project of the same organization sees none of them, through either route,
    # and its key is refused the first project's warnings.
    with server.api(other_key) as client:
        base = f"/api/projects/{other}/ingestion/warnings/"
        assert client.get(base + "summary/").json()["results"] == []
        assert client.get(base).json()["results"] == []
        refused = client.get(f"/api/projects/{project}/ingestion/warnings/summary/")
        assert refused.status_code == 403


def test_summary_of_a_project_without_warnings_is_empty(server: Server) -> None:
    project, _, key = server.create_project("Clean")
    with server.api(key) as client:
        answer = client.get(f"/api/projects/{project}/ingestion/warnings/summary/")
    assert answer.status_code == 200
    assert answer.json() == {"days": 30, "timezone": "UTC", "results": []}
