"""The request models: what they take, what they refuse (code and message), and that the
OpenAPI document lists every /api route with the models the handlers use."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Route

from hedgerow.api.actions import ActionsApi
from hedgerow.api.models import ActionCreate, PersonsParams, ProjectChanges
from hedgerow.api.query_body import QueryRequest
from hedgerow.api.routes import Api
from hedgerow.api.schema import OPERATIONS, build_document
from hedgerow.api.validation import validate
from hedgerow.errors import BadRequest

GOOD_QUERIES: list[dict[str, Any]] = [
    {
        "kind": "EventsQuery",
        "select": ["*", "properties.planId", "count()"],
        "event": "Plan purchased",
        "actionId": "3",
        "properties": [{"key": "price", "value": 1000, "operator": "gt", "type": "event"}],
        "after": "-7d",
        "orderBy": ["timestamp DESC"],
        "limit": 100,
        "offset": 0,
        "someFieldPostHogSends": {"x": 1},
    },
    {
        "kind": "TrendsQuery",
        "series": [
            {"kind": "EventsNode", "event": "$pageview", "math": "dau", "custom_name": "V"},
            {"event": "buy", "math": "sum", "math_property": "price"},
            {"kind": "ActionsNode", "id": 3},
        ],
        "interval": "week",
        "dateRange": {"date_from": "-90d", "date_to": None, "explicitDate": False},
        "properties": {
            "type": "OR",
            "values": [
                {"type": "AND", "values": [{"key": "plan", "value": ["pro", "team"]}]},
                {"key": "email", "value": "@x.com", "operator": "icontains", "type": "person"},
            ],
        },
        "breakdownFilter": {"breakdown": "plan", "breakdown_type": "event", "breakdown_limit": 10},
        "compareFilter": {"compare": True, "compare_to": "-1y"},
        "trendsFilter": {"formulaNodes": [{"formula": "B/A", "custom_name": "per visitor"}]},
    },
    {
        "kind": "FunnelsQuery",
        "series": [{"event": "a"}, {"kind": "ActionsNode", "id": 1}],
        "funnelsFilter": {
            "funnelOrderType": "strict",
            "funnelWindowInterval": 7,
            "funnelWindowIntervalUnit": "hour",
        },
    },
    {"kind": "HogQLQuery", "query": "SELECT event FROM events"},
]


@pytest.mark.parametrize("query", GOOD_QUERIES, ids=lambda q: str(q["kind"]))
def test_documented_queries_are_taken(query: dict[str, Any]) -> None:
    taken = validate(QueryRequest, {"query": query}, code="invalid_query")
    assert taken.query.kind == query["kind"]


BAD_QUERIES: list[tuple[Any, str, str]] = [
    ([], "invalid_query", "`the body` must be an object"),
    (
        {"query": {"kind": "NoSuchQuery"}},
        "invalid_query",
        "Unknown query kind 'NoSuchQuery'",
    ),
    ({"query": {}}, "invalid_query", "needs a `kind`"),
    (
        {"query": {"kind": "TrendsQuery", "series": [{"event": "x", "math": "weird"}]}},
        "invalid_query",
        "`query.series[0].math`: Unknown math 'weird'",
    ),
    (
        {"query": {"kind": "EventsQuery", "properties": [{"key": "a", "operator": "near"}]}},
        "invalid_filter",
        "`query.properties[0].operator`: Unknown operator 'near'",
    ),
    (
        {"query": {"kind": "EventsQuery", "properties": {"values": [{"key": 1.5}]}}},
        "invalid_filter",
        "`query.properties.values[0].key`",
    ),
    ({"query": {"kind": "EventsQuery", "limit": True}}, "invalid_query", "must be an integer"),
    ({"query": {"kind": "EventsQuery", "limit": "10"}}, "invalid_query", "must be an integer"),
    ({"query": {"kind": "EventsQuery", "event": 5}}, "invalid_query", "`query.event` must be"),
    (
        {"query": {"kind": "TrendsQuery", "series": [{"kind": "Cohort"}]}},
        "invalid_query",
        "EventsNode or an ActionsNode",
    ),
    ({"query": {"kind": "FunnelsQuery", "series": [{}] * 17}}, "invalid_query", "at most 16"),
    ({"query": {"kind": "HogQLQuery"}}, "invalid_query", "needs a `query.query` field"),
    (
        {"query": {"kind": "ActorsQuery", "source": {"kind": "X"}}},
        "invalid_query",
        "`query.source.kind` cannot be 'X'; use one of 'InsightActorsQuery'",
    ),
    (
        {"query": {"kind": "ActorsQuery", "source": {"kind": "FunnelsActorsQuery"}}},
        "invalid_query",
        "needs a `query.source.source` field",
    ),
    (
        {"query": {"kind": "PathsQuery", "pathsFilter": {"stepLimit": 1}}},
        "invalid_query",
        "`query.pathsFilter.stepLimit`",
    ),
]


@pytest.mark.parametrize(("body", "code", "message"), BAD_QUERIES)
def test_bad_query_bodies_name_the_field(body: Any, code: str, message: str) -> None:
    with pytest.raises(BadRequest) as refused:
        validate(QueryRequest, body, code="invalid_query")
    assert refused.value.code == code
    assert message in refused.value.message


@pytest.mark.parametrize(
    ("model", "body", "code", "message"),
    [
        (ProjectChanges, {"timezone": "Mars/Olympus"}, "invalid_timezone", "is not a time zone"),
        (ProjectChanges, {"colour": "red"}, "invalid_project", "`colour` is not a field"),
        (ProjectChanges, {"name": "  "}, "invalid_project", "non-empty"),
        (ActionCreate, {"steps": []}, "invalid_action", "needs a `name`"),
        (ActionCreate, {"name": "x", "steps": [{"colour": 1}]}, "invalid_action", "Unknown"),
        (ActionCreate, {"name": "x", "steps": [{"event": 5}]}, "invalid_action", "a string"),
    ],
)
def test_bad_bodies_keep_their_codes(model: Any, body: Any, code: str, message: str) -> None:
    with pytest.raises(BadRequest) as refused:
        validate(model, body, code=code if code != "invalid_timezone" else "invalid_project")
    assert refused.value.code == code and message in refused.value.message


def test_query_parameters_convert_from_text() -> None:
    params = PersonsParams.model_validate({"limit": "5", "distinct_id": "d"})
    assert (params.limit, params.offset, params.distinct_id) == (5, 0, "d")


def test_every_api_route_is_in_the_document() -> None:
    api = object.__new__(Api)  # routes() only needs the handlers' names, not the stores
    api.catalog = api.definitions = api.worker = api.events = None  # type: ignore[assignment]
    actions = object.__new__(ActionsApi)
    routes = [r for r in [*api.routes(), *actions.routes()] if isinstance(r, Route)]
    served = {
        (method.lower(), route.path)
        for route in routes
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(op.method, op.path) for op in OPERATIONS} | {("get", "/api/schema/")}
    assert served <= documented
    document = build_document()
    for method, path in served:
        assert method in document["paths"][path]
