"""Replay recorded capture requests, in every encoding the wire protocol allows.

The requests in `requests/` were made by `record.py` with real encoders (Node's zlib,
npm's lz-string, posthog-python and posthog-node on the wire), with the fixed token
`phc_recorded_fixture_token`, so they run against a server of this module's own that uses
that token. Each must answer 200 `{"status": 1}` and store exactly its expected events: the
distinct_id, uuid, properties, elements chain and timestamp, with the server's clock rules:

- an `offset` gives `now - offset`;
- a timestamp with a known send time gives `now + (timestamp - sent_at)`, so requests recorded
  long ago land at about the moment of replay;
- a timestamp alone is stored exactly as sent; nothing at all gives `now`.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from hedgerow.capture.lzstring import compress_to_base64

from readback import as_json, parse_time
from server import Server

HERE = Path(__file__).resolve().parent
FIXTURES = sorted((HERE / "requests").glob("*.json"))
FIXTURE_TOKEN = "phc_recorded_fixture_token"
TOLERANCE = timedelta(seconds=3)
REQUIRED_ENCODINGS = {
    "json", "gzip", "lz64-form", "base64-form", "query-base64", "query-json", "sdk-gzip",
}  # fmt: skip


def load(path: Path) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads(path.read_text())
    return fixture


def body_of(fixture: dict[str, Any]) -> bytes:
    return base64.b64decode(fixture["body_base64"])


@pytest.fixture(scope="module")
def recorded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose project token is the one baked into the recorded bodies."""
    data_dir = tmp_path_factory.mktemp("compat") / "data"
    instance = Server(data_dir, HEDGEROW_PROJECT_TOKEN=FIXTURE_TOKEN).start()
    yield instance
    instance.stop()


def replay(server: Server, fixture: dict[str, Any]) -> httpx.Response:
    return httpx.request(
        fixture["method"],
        server.url + fixture["path"],
        params=fixture["query"],
        headers=fixture["headers"],
        content=body_of(fixture),
        timeout=30,
    )


def stored_events(
    server: Server, expected: list[dict[str, Any]], timeout: float = 30
) -> list[dict[str, Any]]:
    """The stored events of the expected (event, distinct_id) pairs, once all have arrived."""
    wanted = {(e["event"], e["distinct_id"]) for e in expected}
    deadline = time.monotonic() + timeout
    while True:
        rows = [
            row
            for name in sorted({event for event, _ in wanted})
            for row in server.events(event=name)
            if (row["event"], row["distinct_id"]) in wanted
        ]
        if len(rows) >= len(expected) or time.monotonic() > deadline:
            assert len(rows) == len(expected), f"expected {expected}, stored {rows}"
            return rows
        time.sleep(0.05)


def find(rows: list[dict[str, Any]], expected: dict[str, Any]) -> dict[str, Any]:
    matches = [
        row
        for row in rows
        if row["event"] == expected["event"]
        and row["distinct_id"] == expected["distinct_id"]
        and row["uuid"] == expected.get("uuid", row["uuid"])
    ]
    assert len(matches) == 1, f"{expected['event']!r}: {len(matches)} stored events match"
    return matches[0]


def expected_window(
    expected: dict[str, Any], sent_at: str | None, before: datetime, after: datetime
) -> tuple[datetime, datetime]:
    """The earliest and latest stored timestamp the clock rules allow."""
    if "offset_ms" in expected:
        shift = -timedelta(milliseconds=expected["offset_ms"])
    elif expected["timestamp"] is None:
        shift = timedelta(0)
    elif sent_at is not None:
        shift = parse_time(expected["timestamp"]) - parse_time(sent_at)
    else:
        exact = parse_time(expected["timestamp"])
        return exact, exact
    return before + shift - TOLERANCE, after + shift + TOLERANCE


def person_properties(server: Server, distinct_id: str, wanted: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        with server.api() as api:
            response = api.get("/api/projects/1/persons/", params={"distinct_id": distinct_id})
        response.raise_for_status()
        people = response.json()["results"]
        properties: dict[str, Any] = people[0]["properties"] if people else {}
        if all(key in properties for key in wanted) or time.monotonic() > deadline:
            return properties
        time.sleep(0.05)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_recorded_request_is_stored(recorded_server: Server, path: Path) -> None:
    fixture = load(path)

    before = datetime.now(UTC)
    response = replay(recorded_server, fixture)
    after = datetime.now(UTC)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": 1}
    rows = stored_events(recorded_server, fixture["expected"])
    for expected in fixture["expected"]:
        row = find(rows, expected)
        subset = {k: row["properties"].get(k) for k in expected["properties_subset"]}
        assert as_json(subset) == as_json(expected["properties_subset"]), expected["event"]
        assert row["elements_chain"] == expected["elements_chain"], expected["event"]
        if "uuid" not in expected:
            assert row["uuid"]
        stamp = parse_time(row["timestamp"])
        low, high = expected_window(expected, fixture["sent_at"], before, after)
        assert low <= stamp <= high, f"{expected['event']}: stored {stamp}, not in {low}..{high}"
        if "person_properties_subset" in expected:
            wanted = expected["person_properties_subset"]
            stored = person_properties(recorded_server, expected["distinct_id"], wanted)
            assert as_json({k: stored.get(k) for k in wanted}) == as_json(wanted)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_recorded_body_decodes_to_its_payload(path: Path) -> None:
    """The fixtures stay honest: each body is its payload in its encoding (checked with the
    standard library, independently of the server's decoder)."""
    fixture = load(path)
    body, encoding, query = body_of(fixture), fixture["encoding"], fixture["query"]
    if encoding == "json":
        decoded = json.loads(body)
    elif encoding in ("gzip", "sdk-gzip"):
        assert body[:2] == b"\x1f\x8b"
        decoded = json.loads(gzip.decompress(body))
    elif encoding == "base64-form":
        decoded = json.loads(base64.b64decode(parse_qs(body.decode())["data"][0]))
    elif encoding == "query-base64":
        decoded = json.loads(base64.b64decode(query["data"]))
    elif encoding == "query-json":
        decoded = json.loads(query["data"])
    elif encoding == "lz64-form":
        form = parse_qs(body.decode())
        assert form["compression"] == ["lz64"]
        text = json.dumps(fixture["payload"], separators=(",", ":"), ensure_ascii=False)
        # npm's lz-string made these bytes; Hedgerow's own encoder must agree byte for byte.
        assert form["data"][0] == compress_to_base64(text)
        decoded = fixture["payload"]
    else:
        raise AssertionError(f"unknown encoding {encoding}")
    assert as_json(decoded) == as_json(fixture["payload"])


def test_fixtures_cover_every_encoding() -> None:
    fixtures = [load(path) for path in FIXTURES]
    assert {f["encoding"] for f in fixtures} == REQUIRED_ENCODINGS
    paths = {f["path"].rstrip("/") for f in fixtures}
    assert {"/e", "/i/v0/e", "/capture", "/track", "/engage", "/batch"} <= paths
    assert all(f["name"] == path.stem for f, path in zip(fixtures, FIXTURES, strict=True))
