"""Malformed requests to the query API, actions and projects: each gets its documented
status and code, and changes nothing (capture's table: test_bad_capture_input.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server import API_KEY, TOKEN, Server


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("bad-api-input") / "data").start()
    yield instance
    instance.stop()


QUERY = "/api/projects/1/query/"
ACTIONS = "/api/projects/1/actions/"
PROJECT = "/api/projects/1/"
EVENT_NODE = {"kind": "EventsNode", "event": "x"}


def _query(**query: Any) -> dict[str, Any]:
    return {"json": {"query": query}}


def _events_query(**fields: Any) -> dict[str, Any]:
    return _query(kind="EventsQuery", select=["*"], **fields)


def _sql(text: str) -> dict[str, Any]:
    return _query(kind="HogQLQuery", query=text)


def _action(**fields: Any) -> dict[str, Any]:
    return {"json": fields}


def _filter(operator: str, value: Any = "v") -> list[dict[str, Any]]:
    return [{"key": "a", "value": value, "operator": operator, "type": "event"}]


# (name, method, path, kwargs for httpx (plus "key": the API key, None for no header),
#  expected status, expected code). The codes are today's; keep them easy to adjust.
API_CASES: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    ("query: not JSON", "POST", QUERY, {"content": b"{not json"}, 400, "invalid_json"),
    ("query: no query", "POST", QUERY, {"json": {}}, 400, "invalid_query"),
    ("query: query a string", "POST", QUERY, {"json": {"query": "SELECT 1"}}, 400, "invalid_query"),
    ("query: unknown kind", "POST", QUERY, _query(kind="NopeQuery"), 400, "invalid_query"),
    ("events: bad after", "POST", QUERY, _events_query(after="not a date"), 400, "invalid_date"),
    (
        "events: unknown operator",
        "POST",
        QUERY,
        _events_query(properties=_filter("sounds_like")),
        400,
        "invalid_filter",
    ),
    (
        "events: bad regex",
        "POST",
        QUERY,
        _events_query(properties=_filter("regex", "(")),
        400,
        "invalid_regex",
    ),
    (
        "events: orderBy unknown column",
        "POST",
        QUERY,
        _events_query(orderBy=["nonsense DESC"]),
        400,
        "invalid_query",
    ),
    ("events: orderBy not a list", "POST", QUERY, _events_query(orderBy="x"), 400, "invalid_query"),
    (
        "events: select item a number",
        "POST",
        QUERY,
        _query(kind="EventsQuery", select=[5]),
        400,
        "invalid_query",
    ),
    ("events: negative limit", "POST", QUERY, _events_query(limit=-1), 400, "invalid_query"),
    ("trends: no series", "POST", QUERY, _query(kind="TrendsQuery"), 400, "invalid_query"),
    (
        "trends: empty series",
        "POST",
        QUERY,
        _query(kind="TrendsQuery", series=[]),
        400,
        "invalid_query",
    ),
    (
        "trends: bad interval",
        "POST",
        QUERY,
        _query(kind="TrendsQuery", series=[EVENT_NODE], interval="fortnight"),
        400,
        "invalid_query",
    ),
    (
        "trends: bad math",
        "POST",
        QUERY,
        _query(kind="TrendsQuery", series=[{**EVENT_NODE, "math": "vibes"}]),
        400,
        "invalid_query",
    ),
    (
        "trends: bad formula",
        "POST",
        QUERY,
        _query(kind="TrendsQuery", series=[EVENT_NODE], trendsFilter={"formula": "A +* B"}),
        400,
        "invalid_formula",
    ),
    (
        "trends: unknown action",
        "POST",
        QUERY,
        _query(kind="TrendsQuery", series=[{"kind": "ActionsNode", "id": 999}]),
        400,
        "unknown_action",
    ),
    (
        "funnels: an action id past SQLite's integers",
        "POST",
        QUERY,
        _query(
            kind="FunnelsQuery",
            series=[EVENT_NODE, {"kind": "ActionsNode", "id": "28062808932224903819172"}],
        ),
        400,
        "unknown_action",
    ),
    (
        "trends: bad date_from",
        "POST",
        QUERY,
        _query(kind="TrendsQuery", series=[EVENT_NODE], dateRange={"date_from": "soonish"}),
        400,
        "invalid_date",
    ),
    (
        "funnels: negative window",
        "POST",
        QUERY,
        _query(
            kind="FunnelsQuery",
            series=[EVENT_NODE, EVENT_NODE],
            funnelsFilter={"funnelWindowInterval": -3},
        ),
        400,
        "invalid_query",
    ),
    (
        "funnels: unknown window unit",
        "POST",
        QUERY,
        _query(
            kind="FunnelsQuery",
            series=[EVENT_NODE, EVENT_NODE],
            funnelsFilter={"funnelWindowIntervalUnit": "eon"},
        ),
        400,
        "invalid_query",
    ),
    ("hogql: no query text", "POST", QUERY, _query(kind="HogQLQuery"), 400, "invalid_query"),
    ("hogql: syntax error", "POST", QUERY, _sql("SELEC event FRM events"), 400, "invalid_sql"),
    ("hogql: INSERT", "POST", QUERY, _sql("INSERT INTO events VALUES (1)"), 400, "invalid_sql"),
    ("hogql: DROP", "POST", QUERY, _sql("DROP TABLE events"), 400, "invalid_sql"),
    ("hogql: two statements", "POST", QUERY, _sql("SELECT 1; SELECT 2"), 400, "invalid_sql"),
    ("hogql: unknown table", "POST", QUERY, _sql("SELECT * FROM nowhere"), 400, "invalid_sql"),
    ("hogql: system table", "POST", QUERY, _sql("SELECT * FROM system.tables"), 400, "invalid_sql"),
    (
        "hogql: ClickHouse refuses",
        "POST",
        QUERY,
        _sql("SELECT toInt32('abc') FROM events"),
        400,
        "query_failed",
    ),
    ("query: no project", "POST", "/api/projects/99/query/", _events_query(), 404, "not_found"),
    (
        "query: project id not a number",
        "POST",
        "/api/projects/x/query/",
        _events_query(),
        404,
        "not_found",
    ),
    (
        "query: project id past SQLite's integers",
        "POST",
        "/api/projects/99999999999999999999/query/",
        _events_query(),
        404,
        "not_found",
    ),
    (
        "query: another project's id",
        "POST",
        "/api/projects/2/query/",
        _events_query(),
        403,
        "permission_denied",
    ),
    (
        "query: no API key",
        "POST",
        QUERY,
        {**_events_query(), "key": None},
        401,
        "not_authenticated",
    ),
    (
        "query: unknown API key",
        "POST",
        QUERY,
        {**_events_query(), "key": "phx_wrong"},
        401,
        "authentication_failed",
    ),
    (
        "query: project token as key",
        "POST",
        QUERY,
        {**_events_query(), "key": TOKEN},
        401,
        "authentication_failed",
    ),
    ("actions: not JSON", "POST", ACTIONS, {"content": b"{bad"}, 400, "invalid_json"),
    ("actions: not an object", "POST", ACTIONS, {"json": []}, 400, "invalid_action"),
    (
        "actions: missing name",
        "POST",
        ACTIONS,
        _action(steps=[{"event": "x"}]),
        400,
        "invalid_action",
    ),
    ("actions: empty name", "POST", ACTIONS, _action(name="", steps=[]), 400, "invalid_action"),
    ("actions: name a number", "POST", ACTIONS, _action(name=5), 400, "invalid_action"),
    ("actions: name too long", "POST", ACTIONS, _action(name="a" * 1000), 400, "invalid_action"),
    (
        "actions: steps not a list",
        "POST",
        ACTIONS,
        _action(name="a", steps={}),
        400,
        "invalid_action",
    ),
    (
        "actions: step a string",
        "POST",
        ACTIONS,
        _action(name="a", steps=["x"]),
        400,
        "invalid_action",
    ),
    (
        "actions: unknown step field",
        "POST",
        ACTIONS,
        _action(name="a", steps=[{"bogus": 1}]),
        400,
        "invalid_action",
    ),
    (
        "actions: step event a number",
        "POST",
        ACTIONS,
        _action(name="a", steps=[{"event": 5}]),
        400,
        "invalid_action",
    ),
    (
        "actions: bad url regex",
        "POST",
        ACTIONS,
        _action(name="a", steps=[{"url": "(", "url_matching": "regex"}]),
        400,
        "invalid_action",
    ),
    (
        "actions: unknown url_matching",
        "POST",
        ACTIONS,
        _action(name="a", steps=[{"url": "x", "url_matching": "fuzzy"}]),
        400,
        "invalid_action",
    ),
    (
        "actions: unsupported selector",
        "POST",
        ACTIONS,
        _action(name="a", steps=[{"selector": "div::before"}]),
        400,
        "invalid_selector",
    ),
    (
        "actions: step properties a string",
        "POST",
        ACTIONS,
        _action(name="a", steps=[{"properties": "x"}]),
        400,
        "invalid_action",
    ),
    (
        "actions: description a number",
        "POST",
        ACTIONS,
        _action(name="a", description=5),
        400,
        "invalid_action",
    ),
    ("actions: PATCH empty name", "PATCH", ACTIONS + "1/", _action(name=""), 400, "invalid_action"),
    (
        "actions: PATCH steps not a list",
        "PATCH",
        ACTIONS + "1/",
        _action(steps="x"),
        400,
        "invalid_action",
    ),
    ("actions: PATCH not JSON", "PATCH", ACTIONS + "1/", {"content": b"{"}, 400, "invalid_json"),
    (
        "actions: PATCH unknown action",
        "PATCH",
        ACTIONS + "999/",
        _action(name="x"),
        404,
        "not_found",
    ),
    (
        "project: unknown timezone",
        "PATCH",
        PROJECT,
        {"json": {"timezone": "Mars/Olympus"}},
        400,
        "invalid_timezone",
    ),
    (
        "project: timezone a number",
        "PATCH",
        PROJECT,
        {"json": {"timezone": 5}},
        400,
        "invalid_timezone",
    ),
    ("project: empty name", "PATCH", PROJECT, {"json": {"name": ""}}, 400, "invalid_project"),
    ("project: unknown field", "PATCH", PROJECT, {"json": {"owner": "x"}}, 400, "invalid_project"),
    ("project: not JSON", "PATCH", PROJECT, {"content": b"{"}, 400, "invalid_json"),
]


@pytest.fixture(scope="module")
def api_state(quiet_server: Server) -> dict[str, Any]:
    """One existing action and a second project, then what the API shows of the actions, the
    project and the events received."""
    with quiet_server.api() as client:
        created = client.post(ACTIONS, json={"name": "existing", "steps": [{"event": "x"}]})
        assert created.status_code == 201, created.text
        assert created.json()["id"] == 1
    other_id, _token, _key = quiet_server.create_project("Other project")
    assert other_id == 2
    return _api_snapshot(quiet_server)


def _api_snapshot(server: Server) -> dict[str, Any]:
    with server.api() as client:
        return {
            "actions": client.get(ACTIONS).json(),
            "project": client.get(PROJECT).json(),
            "received": server.status()["received"],
        }


@pytest.mark.parametrize(
    ("name", "method", "path", "kwargs", "status", "code"), API_CASES, ids=[c[0] for c in API_CASES]
)
def test_bad_api_request_is_refused_and_changes_nothing(
    quiet_server: Server,
    api_state: dict[str, Any],
    name: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
) -> None:
    options = dict(kwargs)
    key = options.pop("key", API_KEY)
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    response = httpx.request(
        method, quiet_server.url + path, headers=headers, timeout=60, **options
    )
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["status"], body["code"]) == (status, code), body
    assert len(body["error"]) > 20  # a sentence saying what is wrong
    assert _api_snapshot(quiet_server) == api_state  # no action, project or event changed
