"""The channel tables, data files of this package (docs/web-analytics.md).

`channel_sources.csv` maps a traffic source (a `utm_source` value or a referring domain) to
its category; `channel_mediums.csv` maps a `utm_medium` value to its paid and organic
channel types. Both are read once per process.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

# What a source category means on a paid visit and on an organic one ('' when it has no
# paid form: a link in an email is Email whether or not someone paid for the send).
CATEGORY_TYPES: dict[str, tuple[str, str]] = {
    "Search": ("Paid Search", "Organic Search"),
    "Social": ("Paid Social", "Organic Social"),
    "Video": ("Paid Video", "Organic Video"),
    "Shopping": ("Paid Shopping", "Organic Shopping"),
    "Email": ("", "Email"),
}


@dataclass(frozen=True)
class ChannelTables:
    # name -> (paid type, organic type); '' where a visit of that kind has none.
    sources: dict[str, tuple[str, str]]
    mediums: dict[str, tuple[str, str]]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def channel_tables() -> ChannelTables:
    sources = {row["name"]: CATEGORY_TYPES[row["category"]] for row in _rows("channel_sources.csv")}
    mediums = {
        row["medium"]: (row["paid_type"], row["organic_type"])
        for row in _rows("channel_mediums.csv")
    }
    return ChannelTables(sources=sources, mediums=mediums)
