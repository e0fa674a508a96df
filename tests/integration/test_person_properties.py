"""Person property operations apply in event order, within a batch and across batches."""

from __future__ import annotations

import httpx

from readback import unique, wait_for_person
from server import TOKEN, Server


def _batch(server: Server, events: list[dict[str, object]]) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert response.status_code == 200


def test_set_once_set_unset_in_order_and_initial_properties_stick(server: Server) -> None:
    user = unique("ordered")

    def event(**properties: object) -> dict[str, object]:
        return {"event": "step", "distinct_id": user, "properties": properties}

    _batch(server, [
        event(**{"$set": {"plan": "a"}, "$current_url": "https://x.test/first",
                 "$browser": "Firefox", "utm_source": "news"}),
        event(**{"$set": {"plan": "b"}, "$set_once": {"first_plan": "b"}}),
        event(**{"$set_once": {"first_plan": "z"}, "$set": {"temp": 1}}),
    ])
    wait_for_person(server, user, {"plan": "b", "temp": 1})
    _batch(server, [
        event(**{"$set": {"plan": "c"}, "$current_url": "https://x.test/second",
                 "$browser": "Chrome", "utm_source": "ads"}),
        event(**{"$unset": ["temp"], "$set_once": {"first_plan": "y"}}),
    ])
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
