"""Malformed requests: each gets its documented status and code, and nothing is stored."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server import API_KEY, TOKEN, Server


def _event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"event": "bad-input-probe", "distinct_id": "u1", "token": TOKEN}
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not _DROP}


_DROP = object()


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# (name, path, kwargs for httpx request, expected status, expected code)
CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("bad json", "/e/", {"content": b'{"event": "x",'}, 400, "request_parsing_error"),
    ("json number", "/e/", {"content": b"5"}, 400, "request_hydration_error"),
    ("json string", "/e/", {"content": b'"hello"'}, 400, "request_hydration_error"),
    ("empty body", "/e/", {"content": b""}, 400, "empty_payload"),
    ("whitespace body", "/e/", {"content": b"   \n"}, 400, "empty_payload"),
    ("invalid utf-8", "/e/", {"content": b'{"event": "\xff\xfe"}'}, 400, "request_decoding_error"),
    ("missing event", "/e/", {"json": _event(event=_DROP)}, 400, "missing_event_name"),
    ("empty event name", "/e/", {"json": _event(event="")}, 400, "missing_event_name"),
    ("event name a number", "/e/", {"json": _event(event=42)}, 400, "invalid_event"),
    ("missing distinct_id", "/e/", {"json": _event(distinct_id=_DROP)}, 400, "missing_distinct_id"),
    ("blank distinct_id", "/e/", {"json": _event(distinct_id="   ")}, 400, "missing_distinct_id"),
    ("invalid uuid", "/e/", {"json": _event(uuid="not-a-uuid")}, 400, "invalid_uuid"),
    ("uuid a number", "/e/", {"json": _event(uuid=12345)}, 400, "invalid_uuid"),
    ("properties a list", "/e/", {"json": _event(properties=[1, 2])}, 400, "invalid_event"),
    ("$set not an object", "/e/", {"json": _event(**{"$set": "x"})}, 400, "invalid_event"),
    ("empty batch", "/batch/", {"json": {"api_key": TOKEN, "batch": []}}, 400, "empty_batch"),
    ("empty array", "/e/", {"json": []}, 400, "empty_batch"),
    (
        "batch not a list",
        "/batch/",
        {"json": {"api_key": TOKEN, "batch": {}}},
        400,
        "request_hydration_error",
    ),
    ("event not an object", "/e/", {"json": [_event(), 7]}, 400, "invalid_event"),
    (
        "one bad event spoils the batch",
        "/batch/",
        {"json": {"api_key": TOKEN, "batch": [_event(), _event(distinct_id=_DROP)]}},
        400,
        "missing_distinct_id",
    ),
    ("missing token", "/e/", {"json": _event(token=_DROP)}, 401, "missing_token"),
    ("unknown token", "/e/", {"json": _event(token="phc_nobody")}, 401, "invalid_token"),
    ("personal key as token", "/e/", {"json": _event(token="phx_secret")}, 401, "invalid_token"),
    (
        "different tokens",
        "/e/",
        {"json": [_event(), _event(token="phc_other")]},
        400,
        "multiple_tokens",
    ),
    (
        "unparseable timestamp",
        "/e/",
        {"json": _event(timestamp="yesterday-ish")},
        400,
        "invalid_timestamp",
    ),
    (
        "absurd year",
        "/e/",
        {"json": _event(timestamp="99999-01-01T00:00:00Z")},
        400,
        "invalid_timestamp",
    ),
    ("timestamp an object", "/e/", {"json": _event(timestamp={"t": 1})}, 400, "invalid_timestamp"),
    ("offset not a number", "/e/", {"json": _event(offset="soon")}, 400, "invalid_timestamp"),
    (
        "deeply nested properties",
        "/e/",
        {
            "content": (
                '{"event":"x","distinct_id":"u","token":"'
                + TOKEN
                + '","properties":'
                + _nested(5000)
                + "}"
            ).encode()
        },
        400,
        "request_parsing_error",
    ),
    (
        "oversize body",
        "/e/",
        {"content": b'{"event":"x","pad":"' + b"a" * (2 * 1024 * 1024) + b'"}'},
        413,
        "payload_too_large",
    ),
    (
        "gzip bomb",
        "/e/",
        {"content": gzip.compress(b" " * (101 * 1024 * 1024), 9)},
        413,
        "decompressed_too_large",
    ),
    (
        "truncated gzip",
        "/e/",
        {"content": gzip.compress(json.dumps(_event()).encode())[:-12]},
        400,
        "request_decoding_error",
    ),
    (
        "bad base64 with hint",
        "/e/?compression=base64",
        {"content": b"!!!not base64!!!"},
        400,
        "request_decoding_error",
    ),
    (
        "bad lz64 with hint",
        "/e/?compression=lz64",
        {
            "content": b"data=" + base64.b64encode(b"\x00\x01garbage"),
            "headers": {"content-type": "application/x-www-form-urlencoded"},
        },
        400,
        "request_decoding_error",
    ),
    (
        "GET data= not UTF-8",
        "/e/",
        {
            "method": "GET",
            "params": None,
            "url_suffix": "?data=%7B%22event%22%3A%22x%22%2C%22distinct_id%22%3A%22%FF%22%2C"
            "%22token%22%3A%22" + TOKEN + "%22%7D",
        },
        400,
        "request_decoding_error",
    ),
]


def _send_capture(server: Server, path: str, kwargs: dict[str, Any]) -> httpx.Response:
    options = dict(kwargs)
    method = options.pop("method", "POST")
    url = server.url + path + options.pop("url_suffix", "")
    options.pop("params", None)
    return httpx.request(method, url, timeout=60, **options)


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("bad-input") / "data").start()
    yield instance
    instance.stop()


@pytest.mark.parametrize(
    ("name", "path", "kwargs", "status", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_malformed_request_is_refused(
    quiet_server: Server, name: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    response = _send_capture(quiet_server, path, kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert len(body["error"]) > 20  # a sentence saying what is wrong
    assert httpx.get(quiet_server.url + "/_health").status_code == 200


def test_refused_requests_stored_nothing(quiet_server: Server) -> None:
    """Runs after the table: nothing reached the intake log, and the server still works."""
    for _name, path, kwargs, _status, _code in CASES:
        _send_capture(quiet_server, path, kwargs)
    assert quiet_server.status()["received"] == 0
    marker = str(uuid.uuid4())
    good = httpx.post(quiet_server.url + "/e/", json=_event(distinct_id=marker))
    assert good.status_code == 200
    quiet_server.wait_ingested(1)
    stored = quiet_server.events()
    assert [e["distinct_id"] for e in stored] == [marker]


def test_health_answers(quiet_server: Server) -> None:
    body = httpx.get(quiet_server.url + "/_health").json()
    assert body == {
        "status": "ok",
        "checks": {"intake": True, "ingestion": True, "event_store": True},
    }


# -- the query API, actions and projects -------------------------------------------------------

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
