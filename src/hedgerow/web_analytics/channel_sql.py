"""The channel rules of `channels.py` as one ClickHouse expression.

`channel_type_sql` takes SQL expressions (String or Nullable(String)) for the session's first
referring domain, UTM values and click ids and returns an expression of the channel type.
The tables become map literals, which ClickHouse folds to constants once per query.
"""

from __future__ import annotations

from hedgerow.store.schema import quote_string
from hedgerow.web_analytics.channel_tables import channel_tables
from hedgerow.web_analytics.channels import (
    CROSS_NETWORK_CAMPAIGN,
    DIRECT_DOMAIN,
    DIRECT_SOURCES,
    PAID_MEDIUMS,
    PUSH_MEDIUM,
    SHOPPING_CAMPAIGN,
    VIDEO_CAMPAIGN,
)

# The names `channel_maps_sql` gives the two tables in a query's WITH.
SOURCES_MAP = "channel_sources_map"
MEDIUMS_MAP = "channel_mediums_map"


def _map_literal(table: dict[str, tuple[str, str]]) -> str:
    """name -> (paid type, organic type)."""
    pairs = ", ".join(
        f"{quote_string(k)}, ({quote_string(v[0])}, {quote_string(v[1])})" for k, v in table.items()
    )
    return f"map({pairs})"


def channel_maps_sql() -> list[str]:
    """WITH items naming the tables (`SOURCES_MAP`, `MEDIUMS_MAP`): a statement that uses
    `channel_type_sql(..., named=True)` states each table once instead of eight times."""
    tables = channel_tables()
    return [
        f"{_map_literal(tables.sources)} AS {SOURCES_MAP}",
        f"{_map_literal(tables.mediums)} AS {MEDIUMS_MAP}",
    ]


def _list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(quote_string(v) for v in values) + ")"


def _present(expr: str) -> str:
    return f"nullIf(nullIf({expr}, ''), 'null')"


def _lookup_domain(sources: str, expr: str, paid: bool) -> str:
    """The type of the name or of its nearest listed parent domain (NULL when none)."""
    labels = f"splitByChar('.', splitByChar(':', lowerUTF8(coalesce({expr}, '')))[1])"
    candidates = (
        f"arrayMap(i -> arrayStringConcat(arraySlice({labels}, i), '.'), "
        f"range(1, length({labels}) + 1))"
    )
    found = f"arrayFirst(c -> mapContains({sources}, c), {candidates})"
    return f"nullIf(tupleElement({sources}[{found}], {1 if paid else 2}), '')"


def _lookup_medium(mediums: str, expr: str, paid: bool) -> str:
    return f"nullIf(tupleElement({mediums}[coalesce({expr}, '')], {1 if paid else 2}), '')"


def channel_type_sql(
    referring_domain: str,
    utm_source: str,
    utm_medium: str,
    utm_campaign: str,
    gclid: str,
    gad_source: str,
    fbclid: str,
    named: bool = False,
) -> str:
    """`named`: the tables are read from the WITH items of `channel_maps_sql` (which the
    statement must have); else each use states its table."""
    tables = channel_tables()
    sources = SOURCES_MAP if named else _map_literal(tables.sources)
    mediums = MEDIUMS_MAP if named else _map_literal(tables.mediums)
    source = f"lowerUTF8({_present(utm_source)})"
    medium = f"lowerUTF8({_present(utm_medium)})"
    campaign = f"lowerUTF8({_present(utm_campaign)})"
    domain = _present(referring_domain)
    has_gclid = f"isNotNull({_present(gclid)})"
    gad = _present(gad_source)
    has_fbclid = f"isNotNull({_present(fbclid)})"
    direct = quote_string(DIRECT_DOMAIN)
    shopping = quote_string(SHOPPING_CAMPAIGN)
    video = quote_string(VIDEO_CAMPAIGN)
    paid = f"""coalesce(
        {_lookup_domain(sources, source, paid=True)},
        if(match({campaign}, {shopping}), 'Paid Shopping', NULL),
        {_lookup_medium(mediums, medium, paid=True)},
        {_lookup_domain(sources, domain, paid=True)},
        multiIf({gad} = '1', 'Paid Search',
                match({campaign}, {video}), 'Paid Video',
                {has_fbclid}, 'Paid Social',
                'Paid Unknown'))"""
    organic = f"""coalesce(
        {_lookup_domain(sources, source, paid=False)},
        if(match({campaign}, {shopping}), 'Organic Shopping', NULL),
        {_lookup_medium(mediums, medium, paid=False)},
        {_lookup_domain(sources, domain, paid=False)},
        multiIf(match({campaign}, {video}), 'Organic Video',
                match({medium}, {quote_string(PUSH_MEDIUM)}), 'Push',
                {has_fbclid}, 'Organic Social',
                {domain} = {direct}, 'Direct',
                {domain} IS NOT NULL, 'Referral',
                'Unknown'))"""
    return f"""multiIf(
    match({campaign}, {quote_string(CROSS_NETWORK_CAMPAIGN)}), 'Cross Network',
    {medium} IN {_list(PAID_MEDIUMS)} OR startsWith({medium}, 'paid')
        OR {has_gclid} OR {gad} IS NOT NULL, {paid},
    {domain} = {direct} AND {medium} IS NULL
        AND ({source} IS NULL OR {source} IN {_list(DIRECT_SOURCES)})
        AND NOT {has_fbclid}, 'Direct',
    {organic})"""
