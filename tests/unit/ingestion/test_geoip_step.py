"""The `geoip` step sets what the database found on the event and on the person (`$set`,
with nulls for the other fields, and `$set_once`), replacing what was there; it leaves
events alone that disable GeoIP, have no address or one the database does not place;
personless events get no person operations. The database reads both record layouts,
places no private address, and caches one answer per place."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hedgerow.event import IngestEvent
from hedgerow.geoip.countries import Country, CountryTable
from hedgerow.geoip.database import FIELDS, GeoDatabase, Location, location_of, open_geoip
from hedgerow.ingestion.pipeline import OK
from hedgerow.ingestion.steps.geoip import geoip_step
from hedgerow.settings import SettingsError

PARIS = {"country_code": "FR", "country_name": "France", "city_name": "Paris", "latitude": 48.85}
COUNTRIES = CountryTable({"FR": Country("France", "EU", "Europe")})


class FakeLocator:
    def __init__(self, places: dict[str, dict[str, Any]]) -> None:
        self.places = places
        self.asked: list[str] = []

    def locate(self, ip: str) -> Location | None:
        self.asked.append(ip)
        found = self.places.get(ip)
        return location_of(found) if found else None


def _event(name: str = "$pageview", **properties: Any) -> IngestEvent:
    now = "2026-12-07 10:00:00.000000"
    return IngestEvent(1, "u", name, "alice", dict(properties), now, now)


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


def test_the_setting_turns_geoip_off_or_refuses_a_missing_file(tmp_path: Path) -> None:
    assert open_geoip("off") is None
    with pytest.raises(SettingsError, match="no file at"):
        open_geoip(str(tmp_path / "newer.mmdb"))
    (tmp_path / "broken.mmdb").write_bytes(b"not a database")
    with pytest.raises(SettingsError, match="cannot read it"):
        open_geoip(str(tmp_path / "broken.mmdb"))
