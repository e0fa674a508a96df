"""The channel type of a session, written for the tests from docs/web-analytics.md's rules
("Channel types"), without the product's code: only its two data files (the tables of
sources and mediums) are read, as the rules say they are data."""

from __future__ import annotations

import csv
import re
from pathlib import Path

TABLES = Path(__file__).resolve().parents[2] / "src" / "hedgerow" / "web_analytics"
# category of a source -> (paid type, organic type)
CATEGORIES: dict[str, tuple[str | None, str]] = {
    "Search": ("Paid Search", "Organic Search"),
    "Social": ("Paid Social", "Organic Social"),
    "Video": ("Paid Video", "Organic Video"),
    "Shopping": ("Paid Shopping", "Organic Shopping"),
    "Email": (None, "Email"),
}
PAID_MEDIUMS = {"cpc", "cpm", "cpv", "cpa", "ppc", "retargeting"}
SHOPPING_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")


def _read(name: str) -> list[dict[str, str]]:
    with (TABLES / name).open(newline="") as file:
        return list(csv.DictReader(file))


SOURCES = {row["name"]: CATEGORIES[row["category"]] for row in _read("channel_sources.csv")}
MEDIUMS = {
    row["medium"]: (row["paid_type"] or None, row["organic_type"] or None)
    for row in _read("channel_mediums.csv")
}


def _sent(value: str | None) -> str | None:
    return None if value in (None, "", "null") else value


def _source_types(name: str | None) -> tuple[str | None, str | None]:
    """The name as given (lowercased, no port), then its parent domains, nearest first."""
    if name is None:
        return (None, None)
    labels = name.lower().split(":")[0].split(".")
    for i in range(len(labels)):
        found = SOURCES.get(".".join(labels[i:]))
        if found:
            return found
    return (None, None)


def channel(
    referring_domain: str | None,
    utm_source: str | None = None,
    utm_medium: str | None = None,
    utm_campaign: str | None = None,
    gclid: str | None = None,
    gad_source: str | None = None,
    fbclid: str | None = None,
) -> str:
    domain = _sent(referring_domain)
    source, medium, campaign = (
        (_sent(v) or "").lower() or None for v in (utm_source, utm_medium, utm_campaign)
    )
    gclid, gad_source, fbclid = _sent(gclid), _sent(gad_source), _sent(fbclid)
    if campaign and "cross-network" in campaign:
        return "Cross Network"
    shopping = bool(campaign and SHOPPING_CAMPAIGN.match(campaign))
    video = bool(campaign and "video" in campaign)
    medium_types = MEDIUMS.get(medium or "", (None, None))
    paid = bool(
        medium in PAID_MEDIUMS or (medium and medium.startswith("paid")) or gclid or gad_source
    )
    if paid:
        choices = [
            _source_types(source)[0],
            "Paid Shopping" if shopping else None,
            medium_types[0],
            _source_types(domain)[0],
            "Paid Search" if gad_source == "1" else None,
            "Paid Video" if video else None,
            "Paid Social" if fbclid else None,
        ]
        return next((c for c in choices if c), "Paid Unknown")
    if (
        domain == "$direct"
        and not medium
        and source in (None, "(direct)", "direct", "$direct")
        and not fbclid
    ):
        return "Direct"
    choices = [
        _source_types(source)[1],
        "Organic Shopping" if shopping else None,
        medium_types[1],
        _source_types(domain)[1],
        "Organic Video" if video else None,
        "Push" if medium and medium.endswith("push") else None,
        "Organic Social" if fbclid else None,
        "Direct" if domain == "$direct" else None,
        "Referral" if domain else None,
    ]
    return next((c for c in choices if c), "Unknown")
