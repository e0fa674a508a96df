"""Channel types case by case: the Python rules and the ClickHouse SQL (run in chDB) both
give the expected channel for each referrer / UTM / click-id combination."""

from __future__ import annotations

import json

import chdb
import pytest

from hedgerow.store.schema import quote_string
from hedgerow.web_analytics.channel_sql import channel_type_sql
from hedgerow.web_analytics.channels import Attribution, channel_type

D = "$direct"
A = Attribution
CASES: list[tuple[Attribution, str]] = [
    # Direct and nothing at all
    (A(referring_domain=D), "Direct"),
    (A(referring_domain=D, utm_source="direct"), "Direct"),
    (A(referring_domain=D, utm_source="(direct)"), "Direct"),
    (A(referring_domain=D, utm_medium=""), "Direct"),
    (A(referring_domain=D, utm_source="null", utm_medium="null"), "Direct"),
    (A(), "Unknown"),
    (A(referring_domain=D, fbclid="abc"), "Organic Social"),
    (A(referring_domain=D, utm_source="mystery"), "Direct"),
    # Organic search, by referring domain (and its parents) or by utm_source
    (A(referring_domain="www.google.com"), "Organic Search"),
    (A(referring_domain="www.google.co.uk"), "Organic Search"),
    (A(referring_domain="duckduckgo.com"), "Organic Search"),
    (A(referring_domain="search.brave.com"), "Organic Search"),
    (A(referring_domain="WWW.BING.COM"), "Organic Search"),
    (A(referring_domain=D, utm_source="google"), "Organic Search"),
    (A(referring_domain=D, utm_source="Bing", utm_medium="organic"), "Organic Search"),
    # Paid search: paid medium, gclid, gad_source
    (A(referring_domain="www.google.com", utm_source="google", utm_medium="cpc"), "Paid Search"),
    (A(referring_domain="www.google.com", gclid="Cj0KCQ"), "Paid Search"),
    (A(referring_domain=D, gclid="Cj0KCQ"), "Paid Unknown"),
    (A(referring_domain=D, gad_source="1"), "Paid Search"),
    (A(referring_domain=D, gad_source="5"), "Paid Unknown"),
    (A(referring_domain="bing.com", utm_medium="ppc"), "Paid Search"),
    (A(utm_source="bing", utm_medium="paid_search"), "Paid Search"),
    # Social
    (A(referring_domain="l.facebook.com"), "Organic Social"),
    (A(referring_domain="t.co"), "Organic Social"),
    (A(referring_domain="news.ycombinator.com"), "Organic Social"),
    (A(referring_domain="old.reddit.com"), "Organic Social"),
    (A(utm_source="facebook", utm_medium="cpc"), "Paid Social"),
    (A(utm_source="linkedin", utm_medium="paid-social"), "Paid Social"),
    (A(referring_domain="m.facebook.com", fbclid="IwAR"), "Organic Social"),
    (A(referring_domain=D, utm_medium="cpc", fbclid="IwAR"), "Paid Social"),
    (A(referring_domain="example.com", utm_medium="social"), "Organic Social"),
    (A(utm_source="newsletter-partner", utm_medium="paidsocial"), "Paid Unknown"),
    # Video
    (A(referring_domain="www.youtube.com"), "Organic Video"),
    (A(utm_source="youtube", utm_medium="cpv"), "Paid Video"),
    (A(referring_domain="example.com", utm_campaign="Spring_Video_Launch"), "Organic Video"),
    (A(utm_medium="cpm", utm_campaign="video-promo"), "Paid Video"),
    (A(utm_medium="video"), "Organic Video"),
    # Shopping
    (A(referring_domain="www.amazon.co.uk"), "Organic Shopping"),
    (A(utm_source="amazon", utm_medium="cpc"), "Paid Shopping"),
    (A(utm_medium="cpc", utm_campaign="black-friday-shop"), "Paid Shopping"),
    (A(utm_campaign="winter shopping"), "Organic Shopping"),
    (A(referring_domain="shopping.google.com"), "Organic Shopping"),
    (A(referring_domain="example.com", utm_campaign="workshop"), "Referral"),
    # Email, SMS, push, audio, affiliate, referral
    (A(referring_domain=D, utm_source="newsletter", utm_medium="email"), "Email"),
    (A(utm_medium="E-Mail"), "Email"),
    (A(referring_domain="mail.google.com"), "Email"),
    (A(referring_domain="mail.yahoo.com"), "Email"),
    (A(utm_source="mailchimp", utm_medium="cpc"), "Paid Unknown"),
    (A(utm_medium="sms"), "SMS"),
    (A(utm_medium="push"), "Push"),
    (A(utm_medium="web-push"), "Push"),
    (A(utm_medium="podcast"), "Audio"),
    (A(utm_medium="affiliate", referring_domain="deals.example.com"), "Affiliate"),
    (A(referring_domain="blog.example.com"), "Referral"),
    (A(referring_domain="localhost:8000"), "Referral"),
    (A(utm_medium="referral"), "Referral"),
    (A(utm_source="someone"), "Unknown"),
    # Cross network wins over everything
    (A(utm_campaign="Cross-Network-Q3", utm_medium="cpc", gclid="x"), "Cross Network"),
    (A(referring_domain="www.google.com", utm_campaign="cross-network"), "Cross Network"),
]

FIELDS = ("referring_domain", "utm_source", "utm_medium", "utm_campaign", "gclid", "gad_source")


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("attribution", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_python_rules(attribution: Attribution, expected: str) -> None:
    assert channel_type(attribution) == expected


def _literal(value: str | None) -> str:
    return "NULL" if value is None else quote_string(value)


def test_sql_rules_agree_case_by_case() -> None:
    columns = (*FIELDS, "fbclid")
    structure = "id UInt32, " + ", ".join(f"{c} Nullable(String)" for c in columns)
    rows = ", ".join(
        "(" + ", ".join([str(i)] + [_literal(getattr(a, c)) for c in columns]) + ")"
        for i, (a, _) in enumerate(CASES)
    )
    expression = channel_type_sql(*columns)
    sql = f"SELECT id, {expression} FROM values({quote_string(structure)}, {rows}) ORDER BY id"
    answer = json.loads(str(chdb.query(sql, "JSONCompact")))["data"]
    got = {int(i): channel for i, channel in answer}
    wrong = {
        str(a): (got.get(i), expected)
        for i, (a, expected) in enumerate(CASES)
        if got.get(i) != expected
    }
    assert wrong == {}
