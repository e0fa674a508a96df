"""Selector and element regexes, run by ClickHouse's own `match` (RE2) over real chains."""

from __future__ import annotations

import chdb
import pytest

from hedgerow.errors import BadRequest
from hedgerow.query.elements import selector_regex, tag_regex, text_regex
from hedgerow.query.sql import SqlParams

CHAIN = (
    'span.icon:attr__class="icon"nth-child="1"nth-of-type="1"text="Go \\"now\\"";'
    'button.btn.md:flex:attr__class="btn md:flex"attr__data-plan="pro"attr_id="buy"'
    'nth-child="2"nth-of-type="1"text="Purchase; now";'
    'div.card:attr__class="card"nth-child="1"nth-of-type="1";'
    'form:attr_id="checkout"nth-child="1"nth-of-type="1";body:nth-child="1"nth-of-type="1"'
)


def _match(regex: str, chain: str = CHAIN) -> bool:
    params = SqlParams()
    sql = f"SELECT match({params.string(chain)}, {params.string(regex)})"
    result = chdb.query(sql, "CSV", params=params.values)
    return result.bytes().strip() == b"1"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("button", True),
        ("button.btn", True),
        ("button.btn.md:flex", True),
        (".md:flex", True),
        ("#buy", True),
        ("button#buy.btn", True),
        ('[data-plan="pro"]', True),
        ("[data-plan=pro]", True),
        ("[data-plan]", True),
        ('[data-plan="team"]', False),
        ("div.card > button", True),
        ("div.card button", True),
        ("form button", True),
        ("form > button", False),  # the button's parent is the div
        ("form#checkout div.card > button#buy span.icon", True),
        ("body > form > div > button > span", True),
        ("div > span", False),
        ("span.btn", False),  # the class and the tag must be on the same element
        ("a", False),
        ("*", True),
        ("div.card.icon", False),
    ],
)
def test_selectors(selector: str, expected: bool) -> None:
    assert _match(selector_regex(selector)) is expected


@pytest.mark.parametrize("selector", ["", "a:hover", "a ~ b", "a + b", "> a", "a >", "a[x~=y]"])
def test_unsupported_selectors_are_refused(selector: str) -> None:
    with pytest.raises(BadRequest):
        selector_regex(selector)


def test_text_and_tags() -> None:
    assert _match(text_regex("text", "Purchase; now", "exact"))
    assert _match(text_regex("text", 'Go "now"', "exact"))  # quotes are escaped in chains
    assert not _match(text_regex("text", "Purchase", "exact"))
    assert _match(text_regex("text", "purchase", "contains"))
    assert _match(text_regex("text", "Pur.*now", "regex"))
    assert not _match(text_regex("text", "Pur", "regex"))  # the whole text must match
    assert _match(tag_regex("form"))
    assert not _match(tag_regex("for"))
    assert not _match(text_regex("text", "nope", "exact"), "")
