"""Build `$elements_chain` from the `$elements` array that older posthog-js versions send.

Grammar (one element per `;`, target first): `tag(.class)*:key="value"key="value"...`, with
classes sorted, attribute keys sorted, and `"` in keys and values escaped as `\\"`.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

MAX_TEXT_LENGTH = 400
MAX_HREF_LENGTH = 2048

_QUOTE = re.compile(r'\\"|"')  # an already escaped quote stays a single escape


def elements_chain_from_elements(elements: list[Any]) -> str:
    """Join the elements as PostHog's chain string; non-objects and tagless items are skipped."""
    return ";".join(
        _element_string(element)
        for element in elements
        if isinstance(element, dict) and element.get("tag_name")
    )


def _element_string(element: dict[str, Any]) -> str:
    classes = sorted(name for name in _class_names(element.get("attr__class")) if name)
    head = _js_string(element["tag_name"]) + "".join("." + c.replace('"', "") for c in classes)

    attributes: dict[str, Any] = {}
    raw_text = element.get("$el_text")
    text = "" if raw_text is None else _js_string(raw_text)[:MAX_TEXT_LENGTH]
    if text:
        attributes["text"] = text
    attributes["nth-child"] = _or_zero(element.get("nth_child"))
    attributes["nth-of-type"] = _or_zero(element.get("nth_of_type"))
    if _present(element.get("attr__href")):
        attributes["href"] = _js_string(element["attr__href"])[:MAX_HREF_LENGTH]
    if _present(element.get("attr__id")):
        attributes["attr_id"] = element["attr__id"]
    for key, value in element.items():
        if isinstance(key, str) and key.startswith("attr__"):
            is_class_list = key == "attr__class" and isinstance(value, list)
            attributes[key] = " ".join(_class_names(value)) if is_class_list else value

    pairs = (
        f'{_escape(key)}="{_escape(_js_string(attributes[key]))}"' for key in sorted(attributes)
    )
    return head + ":" + "".join(pairs)


def _class_names(value: Any) -> list[str]:
    """`attr__class` (a list, or a string of whitespace-separated names) as a list."""
    if isinstance(value, list):
        return [_js_string(item) for item in value]
    return _js_string(value).split() if _present(value) else []


def _present(value: Any) -> bool:
    """JavaScript truthiness, which is what decides whether `href`/`attr_id` appear."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value == value and value != 0
    return bool(value != "")


def _or_zero(value: Any) -> Any:
    return 0 if value is None else value


def _escape(text: str) -> str:
    return _QUOTE.sub(r'\\"', text)


def _js_string(value: Any) -> str:
    """What JavaScript's `String(value)` gives for a JSON value."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_number(value)
    if isinstance(value, list):
        return ",".join("" if item is None else _js_string(item) for item in value)
    return "[object Object]"


def _js_number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    shortest = repr(value)
    if "e" not in shortest:
        return shortest
    if 1e-6 <= abs(value) < 1e21:
        return format(Decimal(shortest), "f")
    mantissa, exponent = shortest.split("e")
    return f"{mantissa}e{'-' if exponent.startswith('-') else '+'}{int(exponent.lstrip('+-'))}"
