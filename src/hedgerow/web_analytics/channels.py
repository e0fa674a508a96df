"""A session's channel type from its first referring domain, UTM values and click ids.

The rules are PostHog's default channel rules (docs/web-analytics.md); the tables they look
names up in are data (`channel_tables.py`). `channel_sql.py` states the same rules in
ClickHouse SQL; tests/unit/web_analytics/test_channels.py holds the two to each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hedgerow.web_analytics.channel_tables import channel_tables

DIRECT_DOMAIN = "$direct"
DIRECT_SOURCES = ("(direct)", "direct", "$direct")
PAID_MEDIUMS = ("cpc", "cpm", "cpv", "cpa", "ppc", "retargeting")
# Regular expressions, the same text in Python and in ClickHouse (RE2) syntax.
CROSS_NETWORK_CAMPAIGN = "cross-network"
SHOPPING_CAMPAIGN = "^(.*(([^a-df-z]|^)shop|shopping).*)$"
VIDEO_CAMPAIGN = "^(.*video.*)$"
PUSH_MEDIUM = "push$"


@dataclass(frozen=True)
class Attribution:
    """What a session's first event says about where it came from (None: not sent)."""

    referring_domain: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    gclid: str | None = None
    gad_source: str | None = None
    fbclid: str | None = None


def present(value: str | None) -> str | None:
    """None for a value that is absent, empty or the text 'null'."""
    return None if value is None or value in ("", "null") else value


def domain_candidates(name: str) -> list[str]:
    """The name without its port, then each parent domain: a.b.c -> a.b.c, b.c, c."""
    host = name.lower().split(":", 1)[0]
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def lookup(table: dict[str, tuple[str, str]], name: str | None, paid: bool) -> str | None:
    """The table's type for the name or its nearest listed parent domain, else None."""
    if name is None:
        return None
    for candidate in domain_candidates(name):
        if candidate in table:
            return table[candidate][0 if paid else 1] or None
    return None


def lookup_medium(medium: str | None, paid: bool) -> str | None:
    if medium is None:
        return None
    types = channel_tables().mediums.get(medium)
    return (types[0 if paid else 1] or None) if types else None


def _matches(pattern: str, value: str | None) -> bool:
    return value is not None and re.search(pattern, value) is not None


def channel_type(attribution: Attribution) -> str:
    source = present(attribution.utm_source)
    medium = present(attribution.utm_medium)
    campaign = present(attribution.utm_campaign)
    source, medium, campaign = (v.lower() if v else None for v in (source, medium, campaign))
    domain = present(attribution.referring_domain)
    has_gclid = present(attribution.gclid) is not None
    gad_source = present(attribution.gad_source)
    has_fbclid = present(attribution.fbclid) is not None
    sources = channel_tables().sources

    if _matches(CROSS_NETWORK_CAMPAIGN, campaign):
        return "Cross Network"
    paid = (
        medium in PAID_MEDIUMS
        or (medium is not None and medium.startswith("paid"))
        or has_gclid
        or gad_source is not None
    )
    if paid:
        return (
            lookup(sources, source, paid=True)
            or ("Paid Shopping" if _matches(SHOPPING_CAMPAIGN, campaign) else None)
            or lookup_medium(medium, paid=True)
            or lookup(sources, domain, paid=True)
            or _paid_fallback(gad_source, campaign, has_fbclid)
        )
    if (
        domain == DIRECT_DOMAIN
        and medium is None
        and (source is None or source in DIRECT_SOURCES)
        and not has_fbclid
    ):
        return "Direct"
    return (
        lookup(sources, source, paid=False)
        or ("Organic Shopping" if _matches(SHOPPING_CAMPAIGN, campaign) else None)
        or lookup_medium(medium, paid=False)
        or lookup(sources, domain, paid=False)
        or _organic_fallback(domain, medium, campaign, has_fbclid)
    )


def _paid_fallback(gad_source: str | None, campaign: str | None, has_fbclid: bool) -> str:
    if gad_source == "1":
        return "Paid Search"
    if _matches(VIDEO_CAMPAIGN, campaign):
        return "Paid Video"
    return "Paid Social" if has_fbclid else "Paid Unknown"


def _organic_fallback(
    domain: str | None, medium: str | None, campaign: str | None, has_fbclid: bool
) -> str:
    if _matches(VIDEO_CAMPAIGN, campaign):
        return "Organic Video"
    if _matches(PUSH_MEDIUM, medium):
        return "Push"
    if has_fbclid:
        return "Organic Social"
    if domain == DIRECT_DOMAIN:
        return "Direct"
    return "Referral" if domain is not None else "Unknown"
