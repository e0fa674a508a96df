"""`GET /api/projects/{id}/sql/schema/` over HTTP: the tables, columns (with ClickHouse's
types in the project's time zone) and functions a HogQLQuery can name, and that every name
listed is one a query accepts."""

from __future__ import annotations

from typing import Any

import httpx

from server import Server


def _schema(server: Server, project: int = 1, key: str | None = None) -> Any:
    with server.api(key) if key else server.api() as api:
        return api.get(f"/api/projects/{project}/sql/schema/")


def test_tables_columns_and_functions(fresh_server: Server) -> None:
    response = _schema(fresh_server)
    assert response.status_code == 200, response.text
    body = response.json()
    tables = {t["name"]: {c["name"]: c for c in t["columns"]} for t in body["tables"]}
    assert list(tables) == ["events", "persons", "person_distinct_ids", "sessions"]

    events = tables["events"]
    assert events["event"]["type"] == "LowCardinality(String)"
    assert events["timestamp"]["type"] == "DateTime64(6, 'UTC')"
    assert events["properties"]["properties"] == "event"
    assert events["person.properties"]["properties"] == "person"
    assert events["person_id"]["properties"] is None
    assert {"uuid", "distinct_id", "$session_id", "$group_4", "person.id"} <= set(events)
    assert tables["persons"]["properties"]["properties"] == "person"
    assert tables["persons"]["is_identified"]["type"] == "Bool"
    assert set(tables["person_distinct_ids"]) == {"distinct_id", "person_id"}

    functions = set(body["functions"])
    assert {"count", "toStartOfDay", "JSONExtractString", "toInt", "uniqExact"} <= functions
    assert not {"sleep", "file", "url", "getSetting", "dictGet"} & functions

    # Every listed name is one a query accepts, with the type the schema says.
    for table, columns in tables.items():
        text = f"SELECT {', '.join(columns)} FROM {table} LIMIT 1"
        answer = fresh_server.query({"kind": "HogQLQuery", "query": text})
        assert dict(answer["types"]) == {n: c["type"] for n, c in columns.items()}


def test_scoped_to_the_project_in_the_url(fresh_server: Server) -> None:
    other, _token, other_key = fresh_server.create_project("Paris", timezone="Europe/Paris")
    body = _schema(fresh_server, other, other_key).json()
    events = {c["name"]: c for c in body["tables"][0]["columns"]}
    assert events["timestamp"]["type"] == "DateTime64(6, 'Europe/Paris')"
    # Project 1 still answers in its own zone (the cache is per time zone).
    first = _schema(fresh_server).json()
    assert first["tables"][0]["columns"][3] == {
        "name": "timestamp",
        "type": "DateTime64(6, 'UTC')",
        "properties": None,
    }
    refused = _schema(fresh_server, 1, other_key)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    missing = _schema(fresh_server, 999)
    assert missing.status_code == 404


def test_needs_a_key_or_session(fresh_server: Server) -> None:
    response = httpx.get(fresh_server.url + "/api/projects/1/sql/schema/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
