"""A property value's text form computed in Python exactly as the events table's columns
compute it in ClickHouse (`schema.text_form_expression`), for code that already holds the
parsed properties (the sessions of a batch, `session_rows.py`).

A string is itself; absent, null (and NaN or infinity, which the store writes as null) is
''; anything else is the JSON text ClickHouse's `JSONExtractRaw` writes for it, which is not
the text the store wrote: numbers are rewritten in ClickHouse's own form (the shortest
digits that read back as the same double, written as JavaScript writes numbers but without
the exponent's '+': 1.0 -> '1', 1e20 -> '100000000000000000000', 1e21 -> '1e21', 1e-7 ->
'1e-7'), and strings inside arrays and objects escape U+2028 and U+2029 as well.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson


def text_form(value: Any) -> str:
    """The value's text form ('' when absent or null)."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return _json(value)


def _json(value: Any) -> str:
    if value is None or value is True or value is False:
        return orjson.dumps(value).decode()
    if isinstance(value, str):
        return (
            orjson.dumps(value).decode().replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value) if math.isfinite(value) else "null"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json(str(k))}:{_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_json(v) for v in value) + "]"
    return _json(str(value))


def _number(value: float) -> str:
    """A finite double as ClickHouse writes it (JavaScript's `Number.prototype.toString`
    with no '+' in the exponent)."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len("".join(map(str, digit_tuple))) - len(digits)
    k = len(digits)
    n = exponent + k  # value = 0.digits * 10^n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{n - 1}"
    return ("-" if sign else "") + text
