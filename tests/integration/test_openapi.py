"""The OpenAPI document at /api/schema/, and schemathesis run against the real server with it.

Schemathesis generates requests from the document (valid ones and broken ones) for every
operation and checks that no answer is a 5xx and that every answer is documented: its
status code, content type and body shape. The run is bounded and derandomized (a fixed
number of examples per operation, deterministic generation), so it finds the same things
on every run.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import API_KEY, TOKEN, Server

EXAMPLES_PER_OPERATION = 10
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
CLI = "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server with a few events (varied property types), an action and a known event."""
    server = Server(tmp_path_factory.mktemp("openapi") / "data").start()
    event_id = str(uuid.uuid4())
    events = [
        {
            "event": name,
            "distinct_id": f"user-{i % 3}",
            "uuid": event_id if i == 0 else str(uuid.uuid4()),
            "properties": {"price": i * 10, "plan": ["pro", "team"][i % 2], "ok": i % 2 == 0},
        }
        for i, name in enumerate(["$pageview", "signed_up", "Plan purchased"] * 3)
    ]
    answer = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert answer.status_code == 200
    server.wait_ingested(len(events))
    with server.api() as api:
        action = api.post("/api/projects/1/actions/", json={"name": "Signed up", "steps": []})
        assert action.status_code == 201
        person = api.get("/api/projects/1/persons/", params={"distinct_id": "user-0"})
    yield {"server": server, "event_id": event_id, "person_id": person.json()["results"][0]["id"]}
    server.stop()


def test_schema_describes_every_api_route(seeded: dict[str, Any]) -> None:
    server: Server = seeded["server"]
    document = httpx.get(server.url + "/api/schema/").json()
    assert document["openapi"].startswith("3.")
    query = document["paths"]["/api/projects/{project_id}/query/"]["post"]
    body = query["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/QueryRequest"}
    kinds = document["components"]["schemas"]["QueryRequest"]["properties"]["query"]
    assert set(kinds["discriminator"]["mapping"]) == {
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
    }
    assert query["security"] == [{"PersonalApiKey": []}, {"SessionCookie": []}]
    error = query["responses"]["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorBody"}
    assert "/batch/" in document["paths"] and "/e/" in document["paths"]


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    server: Server = seeded["server"]
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f"""
[parameters]
project_id = 1
event_id = "{seeded["event_id"]}"
person_id = "{seeded["person_id"]}"

[generation]
max-examples = {EXAMPLES_PER_OPERATION}
deterministic = true
database = "none"
"""
    )
    command = [
        sys.executable,
        "-c",
        CLI,
        "--config-file",
        str(config),
        "run",
        server.url + "/api/schema/",
        "--header",
        f"Authorization: Bearer {API_KEY}",
        "--checks",
        ",".join(CHECKS),
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "60",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    run = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]


def test_what_schemathesis_found_answers_4xx(seeded: dict[str, Any]) -> None:
    """Each of these answered 500 before (SQLite overflow; a funnel ClickHouse cannot plan)."""
    server: Server = seeded["server"]
    with server.api() as api:
        huge = api.delete("/api/projects/1/actions/49758526128552558592/")
        assert huge.status_code == 404, huge.text
        far = api.get("/api/projects/1/ingestion/warnings/", params={"offset": 10**24})
        assert far.status_code == 400 and far.json()["code"] == "invalid_query", far.text
        steps = {"kind": "FunnelsQuery", "series": [{}] * 17}
        funnel = api.post("/api/projects/1/query/", json={"query": steps})
        assert funnel.status_code == 400 and "at most 16" in funnel.json()["error"], funnel.text
