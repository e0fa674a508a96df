"""Request bodies and query parameters read through their pydantic models.

Every handler that takes input validates it here, so the OpenAPI document (built from the
same models) cannot drift from what the code accepts. A body that does not fit answers 400
with `{"status", "code", "error"}`: the code is the handler's (`invalid_query`,
`invalid_action`, ...) unless a field's own check names another one (`invalid_filter`,
`invalid_timezone`), and the message names the field (`query.series[0].math`) and what it
must be.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.requests import Request

from hedgerow.errors import BadRequest

Model = TypeVar("Model", bound=BaseModel)

# Error types raised by the models' own checks (PydanticCustomError): each is the answer's code.
OWN_CODES = frozenset(
    {
        "invalid_query",
        "invalid_filter",
        "invalid_breakdown",
        "invalid_action",
        "invalid_insight",
        "invalid_dashboard",
        "invalid_project",
        "invalid_timezone",
        "invalid_property",
        "invalid_email",
        "invalid_password",
    }
)
# Union branch names pydantic puts in an error's location; they are not fields.
BRANCH_NAMES = frozenset({"list", "group", "filter", "EventsNode", "ActionsNode"})
# ... and the members of plain unions (`str | int`), by their type: `str`, `list[...]`.
_UNION_MEMBER = re.compile(r"^(str|int|float|bool|none|json-or-python\[.*|[a-z-]+\[.*\])$")
QUERY_KINDS = (
    "EventsQuery",
    "TrendsQuery",
    "FunnelsQuery",
    "RetentionQuery",
    "LifecycleQuery",
    "StickinessQuery",
    "PathsQuery",
    "ActorsQuery",
    "WebOverviewQuery",
    "WebStatsTableQuery",
    "HogQLQuery",
)
# The kinds of an ActorsQuery's `source` (union branches in error locations, too).
SOURCE_KINDS = ("InsightActorsQuery", "FunnelsActorsQuery")

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "none_required": "null",
}


def where(loc: tuple[int | str, ...]) -> str:
    """`query.series[0].math` for pydantic's ('query', 'TrendsQuery', 'series', 0, 'math')."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif (
            part in BRANCH_NAMES
            or part in QUERY_KINDS
            or part in SOURCE_KINDS
            or _UNION_MEMBER.match(part)
        ):
            continue
        else:
            text += f".{part}" if text else part
    return text or "the body"


def describe(error: ErrorDetails) -> str:
    """One sentence for one pydantic error, in the words of the rest of the API."""
    kind, field = error["type"], where(error["loc"])
    context: Mapping[str, Any] = error.get("ctx") or {}
    if kind in OWN_CODES:
        return f"`{field}`: {error['msg']}" if error["loc"] else error["msg"]
    if kind == "union_tag_invalid":
        tag = context.get("tag")
        if field not in ("query", "the body"):
            expected = context.get("expected_tags", "")
            return f"`{field}.kind` cannot be {tag!r}; use one of {expected}."
        return f"Unknown query kind {tag!r}. Supported: {', '.join(QUERY_KINDS)}."
    if kind == "union_tag_not_found":
        return f"`{field}` needs a `kind`: one of {', '.join(QUERY_KINDS)}."
    if kind == "missing":
        return f"The body needs a `{field}` field."
    if kind == "extra_forbidden":
        return f"`{field}` is not a field this endpoint takes."
    if kind in _TYPE_WORDS:
        return f"`{field}` must be {_TYPE_WORDS[kind]}."
    if kind == "greater_than_equal":
        least = context.get("ge")
        return (
            f"`{field}` must be a positive integer."
            if least == 1
            else (f"`{field}` must be at least {least}.")
        )
    if kind == "less_than_equal":
        return f"`{field}` must be at most {context.get('le')}."
    return f"`{field}`: {error['msg']}."


def code_of(error: ErrorDetails, default: str) -> str:
    if error["type"] in OWN_CODES:
        return error["type"]
    if default == "invalid_query" and "properties" in error["loc"]:
        return "invalid_filter"
    if error["loc"][-1:] == ("timezone",):  # not a string at all: still a bad time zone
        return "invalid_timezone"
    return default


def validate(model: type[Model], data: Any, *, code: str, hint: str = "") -> Model:
    """The model of `data`, or a 400 naming the first thing wrong (and how many more)."""
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        message = describe(first)
        field = where(first["loc"])
        # A value of none of a union's types: one error per type, all at the same field.
        kinds = [e["type"] for e in errors if where(e["loc"]) == field]
        if len(kinds) > 1 and all(kind in _TYPE_WORDS for kind in kinds):
            words = dict.fromkeys(_TYPE_WORDS[kind] for kind in kinds)
            message = f"`{field}` must be {' or '.join(words)}."
            errors = [e for e in errors if where(e["loc"]) != field]
            errors.insert(0, first)
        if len(errors) > 1:
            message += f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''}.)"
        if hint:
            message += " " + hint
        raise BadRequest(message, code=code_of(first, code)) from None


async def read_json(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The body is not JSON: {exc}.", code="invalid_json") from None


async def body_of(request: Request, model: type[Model], *, code: str, hint: str = "") -> Model:
    return validate(model, await read_json(request), code=code, hint=hint)


def params_of(request: Request, model: type[Model], *, code: str = "invalid_query") -> Model:
    """Query parameters (strings) through a model; its fields convert them (lax mode)."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise BadRequest(describe(first), code=code_of(first, code)) from None
