"""The `geoip` step sets what the database found on the event and on the person (`$set`,
with nulls for the other fields, and `$set_once`), replacing what was there; it leaves
events alone that disable GeoIP, have no address or one the database does not place;
personless events get no person operations, nor do events whose person has the values
(which changes no event's location and no person). The database reads both record
layouts, places no private address, and caches one answer per place."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hedgerow.event import IngestEvent
from hedgerow.geoip.countries import Country, CountryTable
from hedgerow.geoip.database import (
    FIELDS,
    GeoDatabase,
    Location,
    is_c_reader,
    location_of,
    open_geoip,
)
from hedgerow.ingestion.pipeline import OK, WarningSink
from hedgerow.ingestion.steps.geoip import geoip_step
from hedgerow.ingestion.steps.initial_properties import initial_properties_step
from hedgerow.ingestion.steps.person import person_step
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.settings import SettingsError

PARIS = {"country_code": "FR", "country_name": "France", "city_name": "Paris", "latitude": 48.85}
COUNTRIES = CountryTable({"FR": Country("France", "EU", "Europe")})
NOW = "2026-12-07 10:00:00.000000"


class FakeLocator:
    def __init__(self, places: dict[str, dict[str, Any]]) -> None:
        self.places = places
        self.asked: list[str] = []

    def locate(self, ip: str) -> Location | None:
        self.asked.append(ip)
        found = self.places.get(ip)
        return location_of(found) if found else None


def _event(name: str = "$pageview", **properties: Any) -> IngestEvent:
    return IngestEvent(1, "u", name, "alice", dict(properties), NOW, NOW)


def _nulls(prefix: str) -> dict[str, Any]:
    return {f"{prefix}{field}": None for field in FIELDS}


def test_geoip_sets_the_event_and_every_field_on_the_person() -> None:
    step = geoip_step(FakeLocator({"203.0.113.9": PARIS}))
    event = _event(
        **{
            "$ip": "203.0.113.9",
            "$geoip_city_name": "Lyon",  # replaced
            "$set": {"$geoip_city_name": "Lyon", "plan": "pro"},
        }
    )
    assert step(event) is OK
    assert event.properties == {
        "$ip": "203.0.113.9",
        "$geoip_country_code": "FR",
        "$geoip_country_name": "France",
        "$geoip_city_name": "Paris",
        "$geoip_latitude": 48.85,
        "$set": {
            **_nulls("$geoip_"),
            "plan": "pro",
            "$geoip_country_code": "FR",
            "$geoip_country_name": "France",
            "$geoip_city_name": "Paris",
            "$geoip_latitude": 48.85,
        },
        "$set_once": {
            "$initial_geoip_country_code": "FR",
            "$initial_geoip_country_name": "France",
            "$initial_geoip_city_name": "Paris",
            "$initial_geoip_latitude": 48.85,
        },
    }


def test_geoip_leaves_alone_what_it_must_not_or_cannot_place() -> None:
    locator = FakeLocator({"203.0.113.9": PARIS})
    step = geoip_step(locator)
    for properties in (
        {"$ip": "203.0.113.9", "$geoip_disable": True},
        {"$ip": "198.51.100.1"},  # not in the database
        {"$ip": ""},
        {"$ip": 12},
        {},
    ):
        event = _event(**properties)
        assert step(event) is OK
        assert event.properties == properties
    assert locator.asked == ["198.51.100.1"]


def test_geoip_gives_personless_and_snapshot_events_no_person_operations() -> None:
    step = geoip_step(FakeLocator({"203.0.113.9": PARIS}))
    personless = _event(**{"$ip": "203.0.113.9", "$process_person_profile": False})
    snapshot = _event("$snapshot", **{"$ip": "203.0.113.9"})
    for event in (personless, snapshot):
        assert step(event) is OK
        assert event.properties["$geoip_city_name"] == "Paris"
        assert "$set" not in event.properties and "$set_once" not in event.properties


def test_database_reads_the_flat_layout_and_fills_the_country_facts() -> None:
    database = GeoDatabase([], COUNTRIES)
    record = {
        "country_code": "FR",
        "state1": "Île-de-France",
        "state2": "",
        "city": "Paris",
        "latitude": 48.85,
        "longitude": 2.35,
    }
    assert database.fields_of(record) == {
        "city_name": "Paris",
        "subdivision_1_name": "Île-de-France",
        "country_name": "France",
        "country_code": "FR",
        "continent_name": "Europe",
        "continent_code": "EU",
        "latitude": 48.85,
        "longitude": 2.35,
    }
    # float32 coordinates are kept to 4 places (11 m)
    assert database.fields_of({"country_code": "SE", "latitude": 59.332698822021484}) == {
        "country_code": "SE",
        "latitude": 59.3327,
    }


def test_database_reads_the_geoip2_city_layout() -> None:
    database = GeoDatabase([], COUNTRIES)
    record = {
        "city": {"names": {"en": "Austin", "de": "Austin"}},
        "continent": {"code": "NA", "names": {"en": "North America"}},
        "country": {"iso_code": "US", "names": {"en": "United States"}},
        "location": {"latitude": 30.3, "longitude": -97.7, "time_zone": "America/Chicago"},
        "postal": {"code": "78701"},
        "subdivisions": [{"iso_code": "TX", "names": {"en": "Texas"}}],
    }
    assert database.fields_of(record) == {
        "city_name": "Austin",
        "subdivision_1_name": "Texas",
        "subdivision_1_code": "TX",
        "country_name": "United States",
        "country_code": "US",
        "continent_name": "North America",
        "continent_code": "NA",
        "postal_code": "78701",
        "latitude": 30.3,
        "longitude": -97.7,
        "time_zone": "America/Chicago",
    }


class PlacesEverything:
    """A reader that answers Paris for any address it is asked about."""

    def __init__(self, ip_version: int) -> None:
        self.ip_version = ip_version
        self.asked: list[str] = []

    def get(self, address: object) -> dict[str, Any]:
        self.asked.append(str(address))
        return {"country_code": "FR", "city": "Paris"}

    def metadata(self) -> SimpleNamespace:
        return SimpleNamespace(ip_version=self.ip_version)


def test_database_places_public_addresses_only_and_asks_once_per_address() -> None:
    ipv4, ipv6 = PlacesEverything(4), PlacesEverything(6)
    database = GeoDatabase([ipv4, ipv6], COUNTRIES)
    for ip in ("127.0.0.1", "10.1.2.3", "192.168.0.7", "::1", "fe80::1", "not an ip", "0.0.0.0"):
        assert database.locate(ip) is None, ip
    assert ipv4.asked == ipv6.asked == []
    for _ in range(3):
        paris = database.locate("8.8.8.8")
        assert paris is not None and paris.properties["$geoip_country_name"] == "France"
        assert database.locate("2001:4860:4860::8888") is not None
    assert database.locate("::ffff:8.8.8.8") is not None  # an IPv4 address, IPv6-mapped
    assert ipv4.asked == ["8.8.8.8", "8.8.8.8"]  # the IPv4-only file is never asked an IPv6
    assert ipv6.asked == ["2001:4860:4860::8888"]
    assert (database.hits, database.misses) == (4, 10)


def test_addresses_of_one_place_share_one_answer() -> None:
    """The cache keeps one answer a place: many addresses cost little memory."""
    database = GeoDatabase([PlacesEverything(4)], COUNTRIES)
    answers = [database.locate(f"8.8.{n}.{n}") for n in range(50)]
    assert answers[0] is not None and all(a is answers[0] for a in answers)
    assert len({id(a.properties) for a in answers if a is not None}) == 1


def test_the_shipped_database_is_read_by_the_c_reader() -> None:
    """The C extension looks an address up several times faster than the pure Python
    reader `open_database` falls back to without it."""
    database = open_geoip("")
    assert database is not None, "no GeoIP database: run make"
    assert len(database.readers) == 2
    assert all(is_c_reader(reader) for reader in database.readers)
    paris = database.locate("81.2.69.142")
    assert paris is not None and paris.properties["$geoip_country_code"] == "GB"


def test_the_setting_turns_geoip_off_or_refuses_a_missing_file(tmp_path: Path) -> None:
    assert open_geoip("off") is None
    with pytest.raises(SettingsError, match="no file at"):
        open_geoip(str(tmp_path / "newer.mmdb"))
    (tmp_path / "broken.mmdb").write_bytes(b"not a database")
    with pytest.raises(SettingsError, match="cannot read it"):
        open_geoip(str(tmp_path / "broken.mmdb"))


LYON = {"country_code": "FR", "country_name": "France", "city_name": "Lyon", "latitude": 45.76}


def _person_operations_of(event: IngestEvent) -> dict[str, Any]:
    return {k: event.properties.get(k) for k in ("$set", "$set_once") if k in event.properties}


def test_a_person_who_has_the_location_gets_no_person_operations(tmp_path: Path) -> None:
    """Its event still gets the location; the operations are added again as soon as the
    person lacks a value, or the event sets one of those keys itself, or may change whose
    person it is."""
    persons = SqlitePersonStore(tmp_path / "persons.sqlite3")
    locator = FakeLocator({"203.0.113.9": PARIS, "198.51.100.7": LYON})
    steps = [geoip_step(locator, persons), person_step(persons, WarningSink())]

    def run(distinct_id: str, ip: str, name: str = "$pageview", **more: Any) -> IngestEvent:
        event = IngestEvent(1, "u", name, distinct_id, {"$ip": ip, **more}, NOW, NOW)
        for step in steps:
            assert step(event) is OK
        return event

    with persons.transaction():
        first = run("alice", "203.0.113.9")
        again = run("alice", "203.0.113.9")
        moved = run("alice", "198.51.100.7")
        back = run("alice", "203.0.113.9")
        again_back = run("alice", "203.0.113.9", plan="pro")
        own = run("alice", "203.0.113.9", **{"$set": {"$geoip_city_name": "Nice"}})
        identify = run("alice", "203.0.113.9", "$identify", **{"$anon_distinct_id": "anon"})
        cookieless = run("alice", "203.0.113.9", **{"$cookieless_mode": True})
        other = run("bob", "203.0.113.9")
    with_operations = (first, moved, back, own, identify, cookieless, other)
    for event in with_operations:
        assert "$geoip_city_name" in _person_operations_of(event).get("$set", {}), event
    for event in (again, again_back):
        assert _person_operations_of(event) == {}
    for event in (first, again, back, again_back, identify, cookieless, other):
        assert event.properties["$geoip_city_name"] == "Paris"
    assert own.properties["$set"]["$geoip_city_name"] == "Paris"  # GeoIP's value wins
    person = persons.get_by_distinct_id(1, "alice")
    assert person is not None
    assert person.properties["$geoip_city_name"] == "Paris"
    assert person.properties["$initial_geoip_city_name"] == "Paris"
    persons.close()


def test_leaving_out_operations_changes_no_person_and_no_event(tmp_path: Path) -> None:
    """The same random events through `geoip`, `initial_properties` and `person`, once
    with every event's operations (no person lookup) and once leaving them out where the
    person has the values: every event's location and person snapshot, and every person,
    come out the same; only events of persons who had the values lose operations."""
    rng = random.Random(11)
    places = {
        "203.0.113.9": PARIS,
        "198.51.100.7": LYON,
        "192.0.2.1": {"country_code": "FR", "country_name": "France"},
    }
    names = ["$pageview", "$pageview", "$pageview", "$identify", "$snapshot", "signup"]
    ips = [*places, "10.0.0.1"]
    ids = ["alice", "bob", "carol", "anon-1", "anon-2"]

    usual = {distinct_id: rng.choice(ips[:3]) for distinct_id in ids}  # mostly one place

    def random_event(n: int) -> IngestEvent:
        name = rng.choice(names)
        distinct_id = rng.choice(ids)
        ip = usual[distinct_id] if rng.random() < 0.8 else rng.choice(ips)
        properties: dict[str, Any] = {"$ip": ip, "$browser": "Firefox"}
        if name == "$identify":
            properties["$anon_distinct_id"] = rng.choice(ids)
        roll = rng.random()
        if roll < 0.1:
            properties["$set"] = {"$geoip_city_name": "Nice", "plan": "pro"}
        elif roll < 0.2:
            properties["$set_once"] = {"$initial_geoip_country_code": "SE"}
        elif roll < 0.25:
            properties["$unset"] = ["$geoip_city_name", "$initial_geoip_city_name"]
        elif roll < 0.3:
            properties["$process_person_profile"] = False
        elif roll < 0.35:
            properties["$geoip_disable"] = True
        return IngestEvent(1, f"u{n}", name, distinct_id, properties, NOW, NOW)

    sent = [random_event(n) for n in range(600)]
    outcomes = []
    for lookup in (False, True):
        persons = SqlitePersonStore(tmp_path / f"persons-{lookup}.sqlite3")
        steps = [
            geoip_step(FakeLocator(places), persons if lookup else None),
            initial_properties_step(),
            person_step(persons, WarningSink()),
        ]
        events = [copy.deepcopy(event) for event in sent]
        for start in range(0, len(events), 100):  # batches: persons come from the store
            with persons.transaction():
                for event in events[start : start + 100]:
                    for step in steps:
                        if step(event) is not OK:
                            break
        final = {d: persons.get_by_distinct_id(1, d) for d in ids}
        outcomes.append(
            (
                [(e.person_id, e.person_properties, _geoip_of(e.properties)) for e in events],
                {d: (p.id, p.properties) if p else None for d, p in final.items()},
                [_person_operations_of(e) for e in events],
            )
        )
        persons.close()
    (every_event, every_person, full), (same_events, same_persons, lean) = outcomes
    assert same_events == every_event
    assert same_persons == every_person
    left_out = sum(a != b for a, b in zip(full, lean, strict=True))
    assert left_out > 100  # most events of a known person at a known place


def _geoip_of(properties: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in properties.items() if k.startswith("$geoip_")}
