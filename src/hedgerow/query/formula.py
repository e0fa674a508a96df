"""Formulas over trends series: `A/B*100`, `(A+B)/2`, `-A`.

Letters name the series in order (A is the first), case-insensitively; numbers, `+ - * /`
and parentheses. Evaluated per interval; a division by zero gives 0, as a chart would want.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from hedgerow.errors import BadRequest

Formula = Callable[[Sequence[float]], float]

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?|\.\d+)|([A-Za-z])|([-+*/()]))")


def parse_formula(text: str, series_count: int) -> Formula:
    """A function of the series values; a 400 for anything else."""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(
            "A formula must be a non-empty string like 'A/B*100'.", code="invalid_formula"
        )
    tokens: list[str] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if not match:
            raise _error(text, f"unexpected {stripped[position:].strip()[:10]!r}")
        tokens.append(match.group(1) or (match.group(2) or "").upper() or match.group(3))
        position = match.end()
    parser = _Parser(text, tokens, series_count)
    formula = parser.expression()
    if parser.index != len(tokens):
        raise _error(text, f"unexpected {tokens[parser.index]!r}")
    return formula


def _error(text: str, why: str) -> BadRequest:
    return BadRequest(
        f"Cannot read the formula {text!r}: {why}. Use series letters (A, B, ...), numbers, "
        "+ - * / and parentheses.",
        code="invalid_formula",
    )


def _divide(a: float, b: float) -> float:
    return a / b if b else 0


class _Parser:
    def __init__(self, text: str, tokens: list[str], series_count: int) -> None:
        self.text, self.tokens, self.series_count, self.index = text, tokens, series_count, 0

    def _peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def expression(self) -> Formula:
        left = self.term()
        while self._peek() in ("+", "-"):
            op = self.tokens[self.index]
            self.index += 1
            right = self.term()
            left = _combine(
                left, right, (lambda a, b: a + b) if op == "+" else (lambda a, b: a - b)
            )
        return left

    def term(self) -> Formula:
        left = self.factor()
        while self._peek() in ("*", "/"):
            op = self.tokens[self.index]
            self.index += 1
            right = self.factor()
            left = _combine(left, right, (lambda a, b: a * b) if op == "*" else _divide)
        return left

    def factor(self) -> Formula:
        token = self._peek()
        if token is None:
            raise _error(self.text, "it ends too early")
        self.index += 1
        if token == "-":
            inner = self.factor()
            return lambda values: -inner(values)
        if token == "(":
            inner = self.expression()
            if self._peek() != ")":
                raise _error(self.text, "a '(' is not closed")
            self.index += 1
            return inner
        if token.isalpha():
            position = ord(token) - ord("A")
            if position >= self.series_count:
                raise _error(self.text, f"there is no series {token}")
            return lambda values: values[position]
        if token[0].isdigit() or token[0] == ".":
            number = float(token)
            return lambda values: number
        raise _error(self.text, f"unexpected {token!r}")


def _combine(left: Formula, right: Formula, op: Callable[[float, float], float]) -> Formula:
    return lambda values: op(left(values), right(values))
