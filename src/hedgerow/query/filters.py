"""Property filters compiled into ClickHouse SQL conditions.

A filter is `{"key", "value", "operator", "type"}` with `type` `event` (the event's
properties), `person` (the person's properties stamped on the event), `element` (keys
`tag_name`, `text`, `href`, `selector`, matched in `$elements_chain`, see elements.py) or
`action` (`value` an action id: the event matches that action). Groups
`{"type": "AND"|"OR", "values": [...]}` nest. A property is read as its text form (strings
unquoted, other JSON values as JSON text), from a materialized column when there is one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query import elements
from hedgerow.query.sql import SqlParams
from hedgerow.store.schema import quote_identifier, text_form_expression

OPERATORS = (
    "exact",
    "is_not",
    "icontains",
    "not_icontains",
    "regex",
    "not_regex",
    "gt",
    "gte",
    "lt",
    "lte",
    "is_set",
    "is_not_set",
    "is_date_exact",
    "is_date_before",
    "is_date_after",
)

_SOURCES = {"event": "properties", "person": "person_properties"}


class PropertyReader:
    """SQL expressions for reading a property of the event or of its person."""

    def __init__(
        self,
        params: SqlParams,
        materialized: Mapping[str, str],
        action: Callable[[Any], str] | None = None,
        session: Callable[[Any], str] | None = None,
    ) -> None:
        self.params = params
        self.materialized = materialized
        # The SQL condition of an action, by id (set by the query core; None: no actions).
        self.action = action
        # The condition on an event of a `session` filter (its session matches; None: none).
        self.session = session
        self.regexes: list[str] = []  # user-written regexes, checked before the query runs

    def regex(self, pattern: str) -> str:
        """A user-written regular expression as a parameter (remembered to be checked)."""
        self.regexes.append(pattern)
        return self.params.string(pattern)

    def _column(self, source: str) -> str:
        try:
            return _SOURCES[source]
        except KeyError:
            raise BadRequest(
                f"Unknown property type {source!r}; use one of {sorted(_SOURCES)}.",
                code="invalid_filter",
            ) from None

    def text(self, source: str, key: str) -> str:
        """The text form; '' when absent or null."""
        if source == "event" and key in self.materialized:
            return quote_identifier(self.materialized[key])
        return text_form_expression(self._column(source), self.params.string(key))

    def is_set(self, source: str, key: str) -> str:
        if source == "event" and key in self.materialized:
            return f"({quote_identifier(self.materialized[key])} != '')"
        column = self._column(source)
        k = self.params.string(key)
        return f"(JSONType({column}, {k}) != 'Null')"

    def raw(self, source: str, key: str) -> str:
        """The JSON text of the value ('' when absent), for returning typed values."""
        column = self._column(source)
        return f"JSONExtractRaw({column}, {self.params.string(key)})"


def _number(value: Any, operator: str) -> float:
    if isinstance(value, bool):
        raise BadRequest(f"`{operator}` compares numbers; got a boolean.", code="invalid_filter")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadRequest(
            f"`{operator}` compares numbers; {value!r} is not one.", code="invalid_filter"
        ) from None
    if not math.isfinite(number):
        raise BadRequest(f"`{operator}` needs a finite number.", code="invalid_filter")
    return number


def _date(value: Any, operator: str) -> str:
    """The date of an `is_date_*` filter, as ISO 8601 text (a date, or a date and time)."""
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return value.strip()
        except ValueError:
            pass
    raise BadRequest(
        f"`{operator}` compares dates; give one as 2026-12-01 or 2026-12-01T10:00:00, "
        f"not {value!r}.",
        code="invalid_filter",
    )


def _equals(text: str, value: Any, params: SqlParams) -> str:
    if isinstance(value, bool):
        return f"({text} = {params.string('true' if value else 'false')})"
    if isinstance(value, int | float):
        return f"(toFloat64OrNull({text}) = {params.number(float(value))})"
    if value is None:
        return f"({text} = '')"
    if isinstance(value, str):
        return f"({text} = {params.string(value)})"
    raise BadRequest(
        f"Filter values must be strings, numbers, booleans or lists of them; got {value!r}.",
        code="invalid_filter",
    )


def compile_property_filter(spec: Any, reader: PropertyReader) -> str:
    if not isinstance(spec, dict):
        raise BadRequest("Each property filter must be an object.", code="invalid_filter")
    if "values" in spec and spec.get("type") in ("AND", "OR"):
        return compile_filter_group(spec, reader)
    key = spec.get("key")
    source = spec.get("type", "event")
    operator = spec.get("operator", "exact")
    value = spec.get("value")
    if source == "action":
        return _action_filter(value if value is not None else key, operator, reader)
    if source == "session" and reader.session is not None:
        return reader.session(spec)  # else the reader reads sessions' columns itself
    if not isinstance(key, str) or not key:
        raise BadRequest("A property filter needs a `key` string.", code="invalid_filter")
    if operator not in OPERATORS:
        raise BadRequest(
            f"Unknown operator {operator!r}; use one of {', '.join(OPERATORS)}.",
            code="invalid_filter",
        )
    if source == "element":
        return _element_filter(key, operator, value, reader)
    params = reader.params
    if operator == "is_set":
        return reader.is_set(source, key)
    if operator == "is_not_set":
        return f"(NOT {reader.is_set(source, key)})"
    text = reader.text(source, key)
    if operator in ("exact", "is_not"):
        values = value if isinstance(value, list) else [value]
        if not values:
            raise BadRequest("`exact` needs at least one value.", code="invalid_filter")
        match = "(" + " OR ".join(_equals(text, v, params) for v in values) + ")"
        return match if operator == "exact" else f"(NOT {match})"
    if operator in ("icontains", "not_icontains"):
        needle = params.string(str(value))
        found = f"(positionCaseInsensitiveUTF8({text}, {needle}) > 0)"
        return found if operator == "icontains" else f"(NOT {found})"
    if operator in ("regex", "not_regex"):
        found = f"match({text}, {reader.regex(str(value))})"
        if operator == "regex":
            return f"({reader.is_set(source, key)} AND {found})"
        return f"(NOT ({reader.is_set(source, key)} AND {found}))"
    if operator in ("gt", "gte", "lt", "lte"):
        symbol = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[operator]
        number = params.number(_number(value, operator))
        return f"(ifNull(toFloat64OrNull({text}) {symbol} {number}, 0))"
    when = f"parseDateTime64BestEffortOrNull({text}, 6, 'UTC')"
    target = f"parseDateTime64BestEffort({params.string(_date(value, operator))}, 6, 'UTC')"
    if operator == "is_date_exact":
        return f"(ifNull(toDate({when}) = toDate({target}), 0))"
    symbol = "<" if operator == "is_date_before" else ">"
    return f"(ifNull({when} {symbol} {target}, 0))"


def _action_filter(action_id: Any, operator: str, reader: PropertyReader) -> str:
    if reader.action is None:
        raise BadRequest("Action filters are not available here.", code="invalid_filter")
    if operator not in ("exact", "is_not"):
        raise BadRequest(
            "An action filter takes the operator 'exact' (matches) or 'is_not'.",
            code="invalid_filter",
        )
    condition = reader.action(action_id)
    return condition if operator == "exact" else f"(NOT {condition})"


_ELEMENT_OPERATORS = ("exact", "is_not", "icontains", "not_icontains", "regex", "not_regex")


def _element_filter(key: str, operator: str, value: Any, reader: PropertyReader) -> str:
    params = reader.params
    if key not in elements.ELEMENT_KEYS:
        raise BadRequest(
            f"Element filters take the keys {', '.join(elements.ELEMENT_KEYS)}; got {key!r}.",
            code="invalid_filter",
        )
    if operator in ("is_set", "is_not_set") and key in ("text", "href"):
        found = f"match(elements_chain, {params.string(elements.attribute_set_regex(key))})"
        return found if operator == "is_set" else f"(NOT {found})"
    if operator not in _ELEMENT_OPERATORS or (key == "selector" and operator not in _EQUALITY):
        allowed = _EQUALITY if key == "selector" else _ELEMENT_OPERATORS
        raise BadRequest(
            f"The element filter {key!r} takes the operators {', '.join(allowed)}.",
            code="invalid_filter",
        )
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str | int | float) for v in values):
        raise BadRequest(
            f"The element filter {key!r} needs a string value (or a list of them).",
            code="invalid_filter",
        )
    texts = [str(v) for v in values]
    base = operator.removeprefix("not_").replace("is_not", "exact")
    if key == "selector":
        regexes = [elements.selector_regex(t) for t in texts]
    elif key == "tag_name":
        if base == "exact":
            patterns = [re.escape(t.lower()) for t in texts]
        elif base == "icontains":
            patterns = ['(?i)[^.:;"]*' + re.escape(t) + '[^.:;"]*' for t in texts]
        else:
            patterns = texts
            for text in texts:
                reader.regexes.append(text)
        regexes = [elements.tag_regex(p) for p in patterns]
    else:
        matching = {"exact": "exact", "icontains": "contains", "regex": "regex"}[base]
        if matching == "regex":
            reader.regexes.extend(texts)
        regexes = [elements.text_regex(key, t, matching) for t in texts]
    found = "(" + " OR ".join(f"match(elements_chain, {params.string(r)})" for r in regexes) + ")"
    return f"(NOT {found})" if operator.startswith(("not_", "is_not")) else found


_EQUALITY = ("exact", "is_not")


def compile_filter_group(spec: Any, reader: PropertyReader) -> str:
    if isinstance(spec, list):
        spec = {"type": "AND", "values": spec}
    if not isinstance(spec, dict):
        raise BadRequest("`properties` must be a list or a group object.", code="invalid_filter")
    joiner = spec.get("type", "AND")
    if joiner not in ("AND", "OR"):
        raise BadRequest("Filter groups have type 'AND' or 'OR'.", code="invalid_filter")
    values = spec.get("values", [])
    if not isinstance(values, list):
        raise BadRequest("A filter group's `values` must be a list.", code="invalid_filter")
    parts = [compile_property_filter(v, reader) for v in values]
    if not parts:
        return "1"
    return "(" + f" {joiner} ".join(parts) + ")"
