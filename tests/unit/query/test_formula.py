from __future__ import annotations

import pytest

from hedgerow.errors import BadRequest
from hedgerow.query.formula import parse_formula


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("A/B*100", [1, 4], 25),
        ("a + b * 2", [1, 2], 5),
        ("(A + B) / 2", [3, 5], 4),
        ("-A + 10", [3, 0], 7),
        ("A / B", [3, 0], 0),
        ("A - -B", [3, 2], 5),
        ("C * .5", [0, 0, 8], 4),
    ],
)
def test_formulas(text: str, values: list[float], expected: float) -> None:
    assert parse_formula(text, len(values))(values) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "A +", "A B", "(A", "A ** 2", "D", "A; drop", "A=1"])
def test_bad_formulas(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_formula(text, 3)
