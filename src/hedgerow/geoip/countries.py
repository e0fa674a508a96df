"""Country names and continents by ISO 3166-1 alpha-2 code.

The table is written by `make` (`hedgerow.geoip.install`) from the npm package
`countries-list` (MIT): `{"FR": ["France", "EU", "Europe"], ...}`. The continent codes are
the seven two-letter ones MaxMind's databases use (AF, AN, AS, EU, NA, OC, SA).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson


@dataclass(frozen=True)
class Country:
    name: str
    continent_code: str | None
    continent_name: str | None


class CountryTable:
    def __init__(self, countries: dict[str, Country]) -> None:
        self.countries = countries

    def get(self, code: str) -> Country | None:
        return self.countries.get(code.upper())

    def __len__(self) -> int:
        return len(self.countries)

    @classmethod
    def load(cls, path: Path) -> CountryTable:
        """The table at `path`; an empty one when it is missing (names stay unset)."""
        if not path.is_file():
            return cls({})
        rows: dict[str, list[str | None]] = orjson.loads(path.read_bytes())
        return cls({code: Country(str(row[0]), row[1], row[2]) for code, row in rows.items()})
