"""An action as a SQL condition: an OR of its steps, each an AND of its conditions.

A step (PostHog's fields) has any of: `event`; `url` with `url_matching` `contains` (the
default; case-sensitive, like SQL LIKE), `exact` or `regex`, on `$current_url`; for
`$autocapture` steps, `text`/`href` with `text_matching`/`href_matching` (`exact`, the
default, `contains` or `regex`), `selector` and `tag_name`, matched in `$elements_chain`; and
`properties`, a list of property filters.
"""

from __future__ import annotations

import re
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query import elements
from hedgerow.query.filters import PropertyReader, compile_filter_group

STEP_FIELDS = (
    "event",
    "properties",
    "selector",
    "tag_name",
    "text",
    "text_matching",
    "href",
    "href_matching",
    "url",
    "url_matching",
)
MATCHING = ("exact", "contains", "regex")


def validate_step(step: Any) -> dict[str, Any]:
    """A step as stored: known fields only, right types; a 400 naming what is wrong."""
    if not isinstance(step, dict):
        raise BadRequest("Each action step must be an object.", code="invalid_action")
    unknown = sorted(set(step) - set(STEP_FIELDS))
    if unknown:
        raise BadRequest(
            f"Unknown action step fields {unknown}; use {', '.join(STEP_FIELDS)}.",
            code="invalid_action",
        )
    clean: dict[str, Any] = {}
    for field in ("event", "selector", "tag_name", "text", "href", "url"):
        value = step.get(field)
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"A step's `{field}` must be a string.", code="invalid_action")
        clean[field] = value if value != "" else None
    for field in ("text_matching", "href_matching", "url_matching"):
        value = step.get(field)
        if value is not None and value not in MATCHING:
            raise BadRequest(
                f"A step's `{field}` is one of {', '.join(MATCHING)}; got {value!r}.",
                code="invalid_action",
            )
        clean[field] = value
    properties = step.get("properties") or []
    if not isinstance(properties, list | dict):
        raise BadRequest("A step's `properties` must be a list of filters.", code="invalid_action")
    clean["properties"] = properties
    if clean["selector"] is not None:
        elements.selector_regex(clean["selector"])  # refuses what it cannot match
    return clean


def step_condition(step: dict[str, Any], reader: PropertyReader) -> str:
    params = reader.params
    parts: list[str] = []
    event = step.get("event")
    if event:
        parts.append(f"event = {params.string(event)}")
    if event == "$autocapture":
        regexes = []
        if step.get("selector"):
            regexes.append(elements.selector_regex(step["selector"]))
        if step.get("tag_name"):
            regexes.append(elements.tag_regex(re.escape(step["tag_name"].lower())))
        for key in ("text", "href"):
            if step.get(key) is not None:
                matching = step.get(f"{key}_matching") or "exact"
                if matching == "regex":
                    reader.regexes.append(step[key])
                regexes.append(elements.text_regex(key, step[key], matching))
        parts.extend(f"match(elements_chain, {params.string(r)})" for r in regexes)
    url = step.get("url")
    if url:
        current = reader.text("event", "$current_url")
        matching = step.get("url_matching") or "contains"
        if matching == "exact":
            parts.append(f"({current} = {params.string(url)})")
        elif matching == "regex":
            parts.append(f"match({current}, {reader.regex(url)})")
        else:
            parts.append(f"(position({current}, {params.string(url)}) > 0)")
    properties = step.get("properties")
    if properties:
        parts.append(compile_filter_group(properties, reader))
    return "(" + " AND ".join(parts) + ")" if parts else "1"


def action_condition(steps: list[dict[str, Any]], reader: PropertyReader) -> str:
    if not steps:
        return "0"  # an action without steps matches nothing
    return "(" + " OR ".join(step_condition(s, reader) for s in steps) + ")"
