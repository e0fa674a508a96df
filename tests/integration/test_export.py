"""Export over the API and `hedgerow export`: events captured through /batch/ come back, every
column exactly, from CSV, JSON lines and Parquet; SQL exports; project scope; refusals."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from server import TOKEN, Server

COLUMNS = [
    "uuid",
    "event",
    "distinct_id",
    "timestamp",
    "properties",
    "person_id",
    "person_properties",
    "elements_chain",
    "created_at",
]
MAX_ROWS = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("export") / "data"
    instance = Server(data, HEDGEROW_EXPORT_MAX_ROWS=str(MAX_ROWS)).start()
    yield instance
    if instance.process is not None:
        instance.stop()


@pytest.fixture(scope="module")
def captured(server: Server) -> list[dict[str, Any]]:
    """30 signups and 15 clicks with hostile text, nested values, person properties and an
    element chain, captured through /batch/; answers the stored signups (`*` objects)."""
    now = datetime.now(UTC).replace(microsecond=123456)
    events = []
    for i in range(45):
        signup = i < 30
        properties: dict[str, Any] = {
            "plan": ["free", "pro", 'a "quoted", comma'][i % 3],
            "n": i,
            "price": i * 1.5,
            "nested": {"list": [1, "two", None], "flag": i % 2 == 0},
            "text": "line one\nline two, ü 😀",
        }
        if not signup:
            properties["$elements"] = [
                {"tag_name": "button", "$el_text": f"Go {i}", "nth_child": 1}
            ]
        events.append(
            {
                "event": "signed up" if signup else "$autocapture",
                "distinct_id": f"user-{i % 7}",
                "uuid": str(uuid.uuid4()),
                "timestamp": (now - timedelta(hours=i)).isoformat(),
                "properties": properties,
                "$set": {"email": f"user{i % 7}@example.com", "rank": i % 7},
            }
        )
    before = server.status()["received"]
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert response.status_code == 200
    server.wait_ingested(before + len(events))
    return _stored(server, "signed up")


def _stored(server: Server, event: str) -> list[dict[str, Any]]:
    body = {
        "kind": "EventsQuery",
        "event": event,
        "select": COLUMNS,
        "orderBy": ["timestamp ASC"],
        "limit": 1000,
    }
    rows = server.query(body)["results"]
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def _export(server: Server, fmt: str, query: dict[str, Any], project: int = 1) -> httpx.Response:
    with server.api() as client:
        return client.post(
            f"/api/projects/{project}/exports/", json={"format": fmt, "query": query}
        )


def _read(fmt: str, data: bytes) -> list[dict[str, Any]]:
    """The file's rows with JSON columns parsed (CSV and Parquet keep them as JSON text)."""
    if fmt == "jsonl":
        return [json.loads(line) for line in data.decode().splitlines()]
    if fmt == "csv":
        rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(data.decode(), newline="")))
    else:
        rows = pq.read_table(io.BytesIO(data)).to_pylist()
    for row in rows:
        row["properties"] = json.loads(row["properties"])
        row["person_properties"] = json.loads(row["person_properties"])
    return rows


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_reads_back_every_column(
    server: Server, captured: list[dict[str, Any]], fmt: str
) -> None:
    response = _export(server, fmt, {"kind": "EventsQuery", "event": "signed up"})
    assert response.status_code == 200, response.text
    assert response.headers["x-hedgerow-row-count"] == "30"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith(f'.{fmt}"')
    rows = _read(fmt, response.content)
    assert list(rows[0]) == COLUMNS
    assert rows == captured  # oldest first, every column equal
    assert any(r["elements_chain"] for r in _read(fmt, _export_clicks(server, fmt)))


def _export_clicks(server: Server, fmt: str) -> bytes:
    response = _export(server, fmt, {"kind": "EventsQuery", "event": "$autocapture"})
    assert response.status_code == 200, response.text
    return response.content


def test_filters_apply(server: Server, captured: list[dict[str, Any]]) -> None:
    after = captured[10]["timestamp"]
    query = {
        "kind": "EventsQuery",
        "event": "signed up",
        "after": after,
        "properties": [{"key": "plan", "value": ["pro"], "operator": "exact", "type": "event"}],
    }
    rows = _read("jsonl", _export(server, "jsonl", query).content)
    expected = [e for e in captured if e["timestamp"] > after and e["properties"]["plan"] == "pro"]
    assert rows == expected and rows


def test_sql_export(server: Server, captured: list[dict[str, Any]]) -> None:
    sql = "SELECT distinct_id, count() AS n FROM events GROUP BY distinct_id ORDER BY distinct_id"
    shown = server.query({"kind": "HogQLQuery", "query": sql})["results"]
    jsonl = _export(server, "jsonl", {"kind": "HogQLQuery", "query": sql})
    assert [[r["distinct_id"], r["n"]] for r in _read_plain(jsonl.content)] == shown
    table = pq.read_table(
        io.BytesIO(_export(server, "parquet", {"kind": "HogQLQuery", "query": sql}).content)
    )
    assert [[r["distinct_id"], r["n"]] for r in table.to_pylist()] == shown
    text = _export(server, "csv", {"kind": "HogQLQuery", "query": sql}).content.decode()
    assert [[d, int(n)] for d, n in list(csv.reader(io.StringIO(text)))[1:]] == shown


def _read_plain(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


def test_refusals(server: Server, captured: list[dict[str, Any]]) -> None:
    too_many = _export(server, "csv", {"kind": "EventsQuery"})  # 45 events > 40
    assert too_many.status_code == 400 and too_many.json()["code"] == "export_too_large"
    bad_format = _export(server, "xlsx", {"kind": "EventsQuery"})
    assert bad_format.status_code == 400 and bad_format.json()["code"] == "invalid_export"
    bad_kind = _export(server, "csv", {"kind": "TrendsQuery", "series": []})
    assert bad_kind.status_code == 400 and bad_kind.json()["code"] == "invalid_export"
    bad_sql = _export(server, "csv", {"kind": "HogQLQuery", "query": "SELECT FROM"})
    assert bad_sql.status_code == 400 and bad_sql.json()["code"] == "invalid_sql"


def test_project_scope(server: Server, captured: list[dict[str, Any]]) -> None:
    other, _, key = server.create_project("Other")
    with server.api(key) as client:
        mine = client.post(
            f"/api/projects/{other}/exports/",
            json={"format": "jsonl", "query": {"kind": "EventsQuery"}},
        )
        theirs = client.post(
            "/api/projects/1/exports/", json={"format": "jsonl", "query": {"kind": "EventsQuery"}}
        )
        sql = client.post(
            f"/api/projects/{other}/exports/",
            json={
                "format": "jsonl",
                "query": {"kind": "HogQLQuery", "query": "SELECT uuid FROM events"},
            },
        )
    assert mine.status_code == 200 and mine.content == b""
    assert mine.headers["x-hedgerow-row-count"] == "0"
    assert sql.status_code == 200 and sql.content == b""
    assert theirs.status_code in (403, 404)


EXPORT = [sys.executable, "-m", "hedgerow", "export"]


def test_command_writes_the_same_files(
    server: Server, captured: list[dict[str, Any]], tmp_path: Path
) -> None:
    """`hedgerow export` on the data directory (the server stopped: it holds the store)."""
    query = {"kind": "EventsQuery", "event": "signed up"}
    over_api = {fmt: _export(server, fmt, query).content for fmt in ("csv", "jsonl", "parquet")}
    server.stop()
    try:
        for fmt in ("csv", "jsonl", "parquet"):
            out = tmp_path / f"out.{fmt}"
            command = [*EXPORT, "--format", fmt, "--project", "1", "--event", "signed up"]
            command += ["--data-dir", str(server.data_dir), str(out)]
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            assert "30 rows written" in done.stderr
            assert _read(fmt, out.read_bytes()) == _read(fmt, over_api[fmt]) == captured
        after = captured[20]["timestamp"]
        out = tmp_path / "late.jsonl"
        command = [*EXPORT, "--format", "jsonl", "--project", "1", "--event", "signed up"]
        command += ["--after", after, "--data-dir", str(server.data_dir)]
        subprocess.run([*command, "--no-progress", str(out)], check=True, capture_output=True)
        assert _read("jsonl", out.read_bytes()) == [e for e in captured if e["timestamp"] > after]
    finally:
        server.start()  # the module's other tests use it


def test_action_filter(server: Server, captured: list[dict[str, Any]]) -> None:
    with server.api() as client:
        created = client.post(
            "/api/projects/1/actions/",
            json={"name": "Signed up", "steps": [{"event": "signed up"}]},
        )
    assert created.status_code in (200, 201), created.text
    query = {"kind": "EventsQuery", "actionId": created.json()["id"]}
    response = _export(server, "jsonl", query)
    assert response.status_code == 200, response.text
    assert _read("jsonl", response.content) == captured
