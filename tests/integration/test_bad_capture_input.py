"""Malformed capture requests: each gets its documented status and code, and nothing is
stored (the query API's table: test_bad_api_input.py)."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server import TOKEN, Server


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
