"""Person property operations apply in event order, within a batch and across batches."""

from __future__ import annotations

import httpx
import pytest

from readback import unique, wait_for_person
from server import PER_WORKER_COUNTS, TOKEN, Server


def _batch(server: Server, events: list[dict[str, object]]) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert response.status_code == 200


def test_set_once_set_unset_in_order_and_initial_properties_stick(server: Server) -> None:
    user = unique("ordered")

    def event(**properties: object) -> dict[str, object]:
        return {"event": "step", "distinct_id": user, "properties": properties}

    _batch(
        server,
        [
            event(
                **{
                    "$set": {"plan": "a"},
                    "$current_url": "https://x.test/first",
                    "$browser": "Firefox",
                    "utm_source": "news",
                }
            ),
            event(**{"$set": {"plan": "b"}, "$set_once": {"first_plan": "b"}}),
            event(**{"$set_once": {"first_plan": "z"}, "$set": {"temp": 1}}),
        ],
    )
    wait_for_person(server, user, {"plan": "b", "temp": 1})
    _batch(
        server,
        [
            event(
                **{
                    "$set": {"plan": "c"},
                    "$current_url": "https://x.test/second",
                    "$browser": "Chrome",
                    "utm_source": "ads",
                }
            ),
            event(**{"$unset": ["temp"], "$set_once": {"first_plan": "y"}}),
        ],
    )
    person = wait_for_person(server, user, {"plan": "c", "utm_source": "ads"})
    properties = person["properties"]
    assert "temp" not in properties
    assert properties["first_plan"] == "b"
    # latest touch follows the newest event, the initial one never changes
    assert properties["$current_url"] == "https://x.test/second"
    assert properties["$browser"] == "Chrome"
    assert properties["$initial_current_url"] == "https://x.test/first"
    assert properties["$initial_browser"] == "Firefox"
    assert properties["$initial_utm_source"] == "news"


@pytest.mark.cluster_defect(PER_WORKER_COUNTS)
def test_groups_fill_their_slots_in_order_of_first_appearance(fresh_server: Server) -> None:
    def event(name: str, groups: dict[str, str]) -> dict[str, object]:
        return {"event": name, "distinct_id": "g-user", "properties": {"$groups": groups}}

    _batch(
        fresh_server,
        [
            event("first", {"company": "acme"}),
            event("second", {"project": "apollo", "company": "initech"}),
            {
                "event": "$groupidentify",
                "distinct_id": "g-user",
                "properties": {
                    "$group_type": "team",
                    "$group_key": "core",
                    "$group_set": {"size": 4},
                },
            },
            event("too many", {"a": "1", "b": "2", "c": "3"}),
        ],
    )
    fresh_server.wait_ingested(4)
    rows = fresh_server.query(
        {
            "kind": "EventsQuery",
            "select": ["event", "$group_0", "$group_1", "$group_2", "$group_3", "$group_4"],
            "orderBy": ["timestamp ASC", "event ASC"],
            "limit": 10,
        }
    )["results"]
    by_event = {row[0]: row[1:] for row in rows}
    assert by_event["first"] == ["acme", "", "", "", ""]
    assert by_event["second"] == ["initech", "apollo", "", "", ""]
    assert by_event["$groupidentify"] == ["", "", "core", "", ""]
    assert by_event["too many"] == ["", "", "", "1", "2"]  # the sixth type has no slot
    with fresh_server.api() as api:
        warnings = api.get("/api/projects/1/ingestion/warnings/").json()["results"]
    assert [(w["type"], w["details"]) for w in warnings] == [
        ("group_type_limit", {"group_type": "c"})
    ]
