from __future__ import annotations

import copy
from typing import Any

import pytest

from hedgerow.event import IngestEvent
from hedgerow.ingestion.pipeline import OK
from hedgerow.ingestion.steps.initial_properties import (
    PERSON_PROPERTIES,
    initial_properties_step,
)


def _event(properties: dict[str, Any], name: str = "$pageview") -> IngestEvent:
    return IngestEvent(
        1,
        "u-1",
        name,
        "alice",
        properties,
        "2026-01-01 00:00:00.000000",
        "2026-01-01 00:00:00.000000",
    )


def _lift(properties: dict[str, Any], name: str = "$pageview") -> dict[str, Any]:
    event = _event(properties, name)
    assert initial_properties_step()(event) == OK
    return event.properties


def test_the_list_is_posthogs() -> None:
    assert PERSON_PROPERTIES == (
        "$app_build",
        "$app_name",
        "$app_namespace",
        "$app_version",
        "$browser",
        "$browser_version",
        "$device_type",
        "$current_url",
        "$pathname",
        "$os",
        "$os_name",
        "$os_version",
        "$referring_domain",
        "$referrer",
        "$screen_height",
        "$screen_width",
        "$viewport_height",
        "$viewport_width",
        "$raw_user_agent",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_name",
        "utm_term",
        "gclid",
        "gad_source",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "fbclid",
        "msclkid",
        "twclid",
        "li_fat_id",
        "mc_cid",
        "igshid",
        "ttclid",
        "rdt_cid",
        "irclid",
        "_kx",
        "epik",
        "qclid",
        "sccid",
    )


def test_listed_properties_go_to_set_and_initial_to_set_once() -> None:
    properties = _lift(
        {
            "$browser": "Chrome",
            "$current_url": "https://example.com/pricing",
            "utm_source": "newsletter",
            "_kx": "k",
            "$screen_width": 1440,
            "plan": "pro",
        }
    )
    assert properties == {
        "$browser": "Chrome",
        "$current_url": "https://example.com/pricing",
        "utm_source": "newsletter",
        "_kx": "k",
        "$screen_width": 1440,
        "plan": "pro",
        "$set": {
            "$browser": "Chrome",
            "$current_url": "https://example.com/pricing",
            "$screen_width": 1440,
            "utm_source": "newsletter",
            "_kx": "k",
        },
        "$set_once": {
            "$initial_browser": "Chrome",
            "$initial_current_url": "https://example.com/pricing",
            "$initial_screen_width": 1440,
            "$initial_utm_source": "newsletter",
            "$initial__kx": "k",
        },
    }


@pytest.mark.parametrize("key", [k for k in PERSON_PROPERTIES if k != "$os_name"])
def test_every_listed_property_is_lifted(key: str) -> None:
    properties = _lift({key: "v"})
    assert properties["$set"] == {key: "v"}
    assert properties["$set_once"] == {"$initial_" + key.removeprefix("$"): "v"}


def test_what_the_event_sets_itself_wins() -> None:
    properties = _lift(
        {
            "$browser": "Chrome",
            "utm_source": "ads",
            "$set": {"$browser": "Firefox", "email": "a@example.com"},
            "$set_once": {"$initial_utm_source": "earlier", "first": 1},
        }
    )
    assert properties["$set"] == {
        "$browser": "Firefox",
        "email": "a@example.com",
        "utm_source": "ads",
    }
    assert properties["$set_once"] == {
        "$initial_utm_source": "earlier",
        "first": 1,
        "$initial_browser": "Chrome",
    }


def test_a_key_set_to_null_by_the_event_is_still_the_events() -> None:
    properties = _lift({"$browser": "Chrome", "$set": {"$browser": None}})
    assert properties["$set"] == {"$browser": None}
    assert properties["$set_once"] == {"$initial_browser": "Chrome"}


def test_null_values_are_set_but_never_initial() -> None:
    properties = _lift({"$referrer": None, "$referring_domain": None, "gclid": "g"})
    assert properties["$set"] == {"$referrer": None, "$referring_domain": None, "gclid": "g"}
    assert properties["$set_once"] == {"$initial_gclid": "g"}


def test_only_null_values_add_set_but_no_set_once() -> None:
    properties = _lift({"$referrer": None})
    assert properties == {"$referrer": None, "$set": {"$referrer": None}}


def test_os_name_stands_in_for_a_missing_os() -> None:
    properties = _lift({"$os_name": "iOS", "$os_version": "17.1"})
    assert properties["$set"] == {"$os": "iOS", "$os_version": "17.1"}
    assert properties["$set_once"] == {"$initial_os": "iOS", "$initial_os_version": "17.1"}
    assert properties["$os_name"] == "iOS"
    assert "$os" not in properties


def test_os_name_stands_in_for_a_null_os() -> None:
    properties = _lift({"$os": None, "$os_name": "Android"})
    assert properties["$set"] == {"$os": "Android"}
    assert properties["$set_once"] == {"$initial_os": "Android"}


def test_os_wins_over_os_name() -> None:
    properties = _lift({"$os": "Mac OS X", "$os_name": "macOS"})
    assert properties["$set"] == {"$os": "Mac OS X"}
    assert properties["$set_once"] == {"$initial_os": "Mac OS X"}


def test_null_os_name_leaves_os_alone() -> None:
    properties = _lift({"$os": None, "$os_name": None})
    assert properties == {"$os": None, "$os_name": None, "$set": {"$os": None}}


def test_os_name_alone_and_null_is_not_lifted() -> None:
    assert _lift({"$os_name": None}) == {"$os_name": None}


def test_server_events_do_not_lift_the_servers_os() -> None:
    properties = _lift(
        {
            "$is_server": True,
            "$os": "Linux",
            "$os_version": "6.1",
            "$os_name": "Linux",
            "$browser": "Chrome",
        }
    )
    assert properties["$set"] == {"$browser": "Chrome"}
    assert properties["$set_once"] == {"$initial_browser": "Chrome"}


def test_server_events_with_nothing_else_get_no_operations() -> None:
    original = {"$is_server": True, "$os": "Linux", "$os_version": "6.1"}
    assert _lift(copy.deepcopy(original)) == original


def test_only_a_true_is_server_counts() -> None:
    properties = _lift({"$is_server": "true", "$os": "Linux"})
    assert properties["$set"] == {"$os": "Linux"}
    properties = _lift({"$is_server": False, "$os": "Linux"})
    assert properties["$set"] == {"$os": "Linux"}


@pytest.mark.parametrize(
    "name", ["$snapshot", "$performance_event", "$exception", "$$heatmap", "$groupidentify"]
)
def test_skipped_events_are_left_untouched(name: str) -> None:
    original = {"$browser": "Chrome", "utm_source": "ads", "$set": {"a": 1}}
    assert _lift(copy.deepcopy(original), name) == original


def test_personless_events_are_left_untouched() -> None:
    original = {"$process_person_profile": False, "$browser": "Chrome"}
    assert _lift(copy.deepcopy(original)) == original


def test_non_boolean_process_person_profile_still_lifts() -> None:
    properties = _lift({"$process_person_profile": "false", "$browser": "Chrome"})
    assert properties["$set"] == {"$browser": "Chrome"}


def test_events_without_listed_properties_get_no_empty_operations() -> None:
    assert _lift({"plan": "pro"}) == {"plan": "pro"}
    assert _lift({}) == {}
    assert _lift({"plan": "pro", "$set": {"a": 1}}) == {"plan": "pro", "$set": {"a": 1}}


def test_null_operation_is_replaced_and_malformed_one_left_alone() -> None:
    properties = _lift({"$browser": "Chrome", "$set": None, "$set_once": "oops"})
    assert properties["$set"] == {"$browser": "Chrome"}
    assert properties["$set_once"] == "oops"


def test_lifted_properties_are_added_after_the_events_own_in_order() -> None:
    """An event whose `$set` / `$set_once` another step filled (GeoIP) keeps those keys
    first and gets the lifted ones after them, in the list's order; a key the event sets
    itself keeps its place and value."""
    geoip = {"$geoip_city_name": "Paris", "$geoip_country_code": "FR"}
    lifted = _lift({"$browser": "Chrome", "$os": "iOS", "$set": dict(geoip), "$set_once": {"a": 1}})
    assert list(lifted["$set"].items()) == [*geoip.items(), ("$browser", "Chrome"), ("$os", "iOS")]
    assert list(lifted["$set_once"].items()) == [
        ("a", 1),
        ("$initial_browser", "Chrome"),
        ("$initial_os", "iOS"),
    ]
    overlapping = _lift({"$browser": "Chrome", "$os": "iOS", "$set": {"$os": None, "b": 2}})
    assert list(overlapping["$set"].items()) == [("$os", None), ("b", 2), ("$browser", "Chrome")]
