"""`$elements` → `$elements_chain`, per autocapture.md §2.6."""

from __future__ import annotations

from typing import Any

import pytest

from hedgerow.capture.elements import elements_chain_from_elements

FIVE_CLASSES = "test-class test-class2 test-class3 test-class4 test-class5"


@pytest.mark.parametrize(
    ("elements", "chain"),
    [
        pytest.param(
            [
                {
                    "tag_name": "a",
                    "attr__class": FIVE_CLASSES,
                    "attr__href": "http://test.com",
                    "nth_child": 1,
                    "nth_of_type": 1,
                    "classes": FIVE_CLASSES.split(),
                },
                {"tag_name": "span", "nth_child": 1, "nth_of_type": 1},
            ],
            "a.test-class.test-class2.test-class3.test-class4.test-class5:"
            f'attr__class="{FIVE_CLASSES}"attr__href="http://test.com"href="http://test.com"'
            'nth-child="1"nth-of-type="1";span:nth-child="1"nth-of-type="1"',
            id="autocapture-test-link-in-span",
        ),
        pytest.param(
            [{"tag_name": "div", "$el_text": "text", "nth_child": 1, "nth_of_type": 2}],
            'div:nth-child="1"nth-of-type="2"text="text"',
            id="autocapture-utils-test-div",
        ),
        pytest.param(
            [{"tag_name": "button"}],
            'button:nth-child="0"nth-of-type="0"',
            id="nth-defaults-to-zero",
        ),
        pytest.param(
            [{"tag_name": "input", "attr__id": "email", "attr__type": "email", "$el_text": ""}],
            'input:attr__id="email"attr__type="email"attr_id="email"nth-child="0"nth-of-type="0"',
            id="attr-id-duplicated-empty-text-dropped",
        ),
        pytest.param(
            [{"tag_name": "li", "attr__class": ["b", "a", 'q"x'], "nth_child": 3}],
            'li.a.b.qx:attr__class="b a q\\"x"nth-child="3"nth-of-type="0"',
            id="class-list-sorted-quotes-removed",
        ),
        pytest.param(
            [{"tag_name": "p", "attr__class": "  z   y  "}],
            'p.y.z:attr__class="  z   y  "nth-child="0"nth-of-type="0"',
            id="class-string-split-on-whitespace-kept-verbatim",
        ),
        pytest.param(
            [
                "not-a-dict",
                None,
                {"attr__id": "no-tag"},
                {"tag_name": "", "nth_child": 1},
                {"tag_name": "em"},
            ],
            'em:nth-child="0"nth-of-type="0"',
            id="skips-non-dicts-and-tagless",
        ),
        pytest.param([], "", id="empty"),
    ],
)
def test_chain(elements: list[Any], chain: str) -> None:
    assert elements_chain_from_elements(elements) == chain


def test_quotes_are_escaped_in_keys_and_values_once() -> None:
    element = {
        "tag_name": "a",
        "$el_text": 'say "hi"',
        "attr__title": 'already \\"escaped\\"',
        'attr__we"ird': "v",
    }
    assert elements_chain_from_elements([element]) == (
        'a:attr__title="already \\"escaped\\""attr__we\\"ird="v"'
        'nth-child="0"nth-of-type="0"text="say \\"hi\\""'
    )


def test_values_stringified_like_javascript() -> None:
    element = {
        "tag_name": "input",
        "attr__disabled": True,
        "attr__checked": False,
        "attr__size": 10,
        "attr__step": 2.0,
        "attr__ratio": 0.5,
        "attr__tiny": 0.00001,
        "attr__list": [1, "a", None],
        "attr__none": None,
        "nth_child": 2.0,
    }
    assert elements_chain_from_elements([element]) == (
        'input:attr__checked="false"attr__disabled="true"attr__list="1,a,"attr__none="null"'
        'attr__ratio="0.5"attr__size="10"attr__step="2"attr__tiny="0.00001"'
        'nth-child="2"nth-of-type="0"'
    )


def test_text_and_href_are_truncated() -> None:
    href = "https://example.com/" + "p" * 3000
    element = {"tag_name": "a", "$el_text": "t" * 500, "attr__href": href}
    chain = elements_chain_from_elements([element])
    assert f'text="{"t" * 400}"' in chain
    assert f'href="{href[:2048]}"' in chain
    assert f'attr__href="{href}"' in chain  # the raw attribute is kept whole
    assert "t" * 401 not in chain
