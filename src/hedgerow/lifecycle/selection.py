"""Which persons a bulk erasure selects: person property filters, all of which must match
(PostHog's filter shape: `{"key", "value", "operator", "type": "person"}`).

Evaluated in Python over the project's persons (the person store is the authority; the
event store's mirror may lag), with the operators of the activity view's person filters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hedgerow.persons.store import PersonStore

OPERATORS = (
    "exact",
    "is_not",
    "icontains",
    "not_icontains",
    "regex",
    "not_regex",
    "is_set",
    "is_not_set",
    "gt",
    "lt",
)
PAGE = 1000


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def matches(properties: dict[str, Any], key: str, operator: str, value: Any) -> bool:
    present = key in properties and properties[key] is not None
    if operator == "is_set":
        return present
    if operator == "is_not_set":
        return not present
    actual = _text(properties.get(key)) if present else None
    wanted = [_text(v) for v in value] if isinstance(value, list) else [_text(value)]
    if operator == "exact":
        return actual is not None and actual in wanted
    if operator == "is_not":
        return actual is None or actual not in wanted
    if operator in ("icontains", "not_icontains"):
        found = actual is not None and wanted[0].lower() in actual.lower()
        return found if operator == "icontains" else not found
    if operator in ("regex", "not_regex"):
        hit = actual is not None and re.search(wanted[0], actual) is not None
        return hit if operator == "regex" else not hit
    left, right = _number(properties.get(key)), _number(value)
    if left is None or right is None:
        return False
    return left > right if operator == "gt" else left < right


def select_persons(
    persons: PersonStore, team_id: int, filters: list[dict[str, Any]], limit: int
) -> Iterator[str]:
    """The ids of the project's persons every filter matches, up to `limit` + 1 (so that the
    caller can tell there are more)."""
    offset, found = 0, 0
    while True:
        page = list(persons.recent(team_id, PAGE, offset))
        for person in page:
            if all(
                matches(person.properties, f["key"], f.get("operator", "exact"), f.get("value"))
                for f in filters
            ):
                yield person.id
                found += 1
                if found > limit:
                    return
        if len(page) < PAGE:
            return
        offset += PAGE
