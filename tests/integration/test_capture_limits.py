"""Capture's limits come from the settings, answer their own codes, and store nothing.

The server runs with small limits (set through the environment) so that each is reached
with small requests; bodies of 64 KiB and more are prepared in the capture helper process,
the others in the server, and both paths are tried.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from hedgerow.capture.helpers import HELPER_MIN_BYTES

from server import TOKEN, Server

KIB = 1024
LIMITS = {
    "HEDGEROW_MAX_BODY_SIZE": "64KiB",
    "HEDGEROW_MAX_BATCH_BODY_SIZE": "256KiB",
    "HEDGEROW_MAX_DECOMPRESSED_SIZE": "128KiB",
    "HEDGEROW_MAX_BATCH_EVENTS": "5",
    "HEDGEROW_MAX_EVENT_SIZE": "16KiB",
    "HEDGEROW_MAX_PROPERTY_DEPTH": "4",
}


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"k": value}
    return value


def _event(name: str, pad: int = 0, **properties: Any) -> dict[str, Any]:
    return {"event": name, "distinct_id": "u1", "properties": {"pad": "x" * pad, **properties}}


def _batch(*events: dict[str, Any]) -> bytes:
    return orjson.dumps({"api_key": TOKEN, "batch": list(events)})


def _single(event: dict[str, Any]) -> bytes:
    return orjson.dumps({**event, "token": TOKEN})


# (name, path, body, status, code): "helper" cases are 64 KiB or more (a helper prepares them)
CASES: list[tuple[str, str, bytes, int, str]] = [
    ("body over max_body_size", "/e/", _single(_event("b", 70 * KIB)), 413, "payload_too_large"),
    (
        "batch body over max_batch_body_size",
        "/batch/",
        _batch(*[_event("b", 60 * KIB)] * 5),
        413,
        "payload_too_large",
    ),
    (
        "gzip over max_decompressed_size",
        "/batch/",
        gzip.compress(_batch(_event("z", 130 * KIB))),
        413,
        "decompressed_too_large",
    ),
    ("too many events", "/batch/", _batch(*[_event("n")] * 6), 413, "too_many_events"),
    (
        "too many events (helper)",
        "/batch/",
        _batch(*[_event("n", 12 * KIB)] * 6),
        413,
        "too_many_events",
    ),
    ("event too large", "/e/", _single(_event("s", 17 * KIB)), 413, "event_too_large"),
    (
        "event too large (helper)",
        "/batch/",
        _batch(*[_event("s", 12 * KIB)] * 4, _event("s", 17 * KIB)),
        413,
        "event_too_large",
    ),
    (
        "properties too deep",
        "/e/",
        _single(_event("d", deep=_nested(5))),
        400,
        "properties_too_deep",
    ),
    (
        "$set too deep",
        "/e/",
        _single({**_event("d"), "$set": {"deep": _nested(5)}}),
        400,
        "properties_too_deep",
    ),
    (
        "properties too deep (helper)",
        "/batch/",
        _batch(*[_event("d", 13 * KIB)] * 4, _event("d", 13 * KIB, deep=_nested(5))),
        400,
        "properties_too_deep",
    ),
]


def test_helper_cases_are_big_enough_for_a_helper() -> None:
    assert all(len(c[2]) >= HELPER_MIN_BYTES for c in CASES if "(helper)" in c[0])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("limits") / "data", **LIMITS).start()
    yield instance
    instance.stop()


@pytest.mark.parametrize(
    ("name", "path", "body", "status", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_limit_is_refused_with_its_code(
    server: Server, name: str, path: str, body: bytes, status: int, code: str
) -> None:
    response = httpx.post(server.url + path, content=body, timeout=30)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert len(response.json()["error"]) > 20


def test_requests_at_the_limits_are_stored_and_refused_ones_are_not(server: Server) -> None:
    for _name, path, body, _status, _code in CASES:
        assert httpx.post(server.url + path, content=body, timeout=30).status_code >= 400
    at_limits = [_event(f"ok-{i}", 15 * KIB, deep=_nested(4)) for i in range(5)]
    body = _batch(*at_limits)
    assert 64 * KIB <= len(body) <= 256 * KIB
    assert httpx.post(server.url + "/batch/", content=body, timeout=30).status_code == 200
    small = _single(_event("ok-small", 15 * KIB, deep=_nested(4)))
    assert httpx.post(server.url + "/e/", content=small, timeout=30).status_code == 200
    server.wait_ingested(6)
    stored = server.events()
    assert sorted(e["event"] for e in stored) == [
        "ok-0",
        "ok-1",
        "ok-2",
        "ok-3",
        "ok-4",
        "ok-small",
    ]
    assert server.status()["received"] == 6
