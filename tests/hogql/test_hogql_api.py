"""HogQLQuery over HTTP against a real server with two projects: names resolve as in PostHog,
person ids follow merges, and nothing outside the project can be read or written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import TOKEN, Server


@pytest.fixture(scope="module")
def two_projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Project 1: purchases by alice and bob, an anonymous visitor merged into alice.
    Project 2: a purchase with a secret plan by eve. Squashing is held off so that person
    ids go through the override map."""
    data: Path = tmp_path_factory.mktemp("hogql") / "data"
    server = Server(data, HEDGEROW_SQUASH_INTERVAL="3600", HEDGEROW_QUERY_MAX_MEMORY="1GiB").start()
    other_id, other_token, other_key = server.create_project("Other")
    now = datetime.now(UTC).replace(microsecond=0)

    def send(token: str, events: list[dict[str, Any]]) -> None:
        response = httpx.post(server.url + "/batch/", json={"api_key": token, "batch": events})
        assert response.status_code == 200

    def event(name: str, distinct_id: str, days: float, **properties: Any) -> dict[str, Any]:
        return {
            "event": name,
            "distinct_id": distinct_id,
            "timestamp": (now - timedelta(days=days)).isoformat(),
            "properties": properties,
        }

    send(
        TOKEN,
        [
            event(
                "purchase", "alice", 3, planId="pro", price=1599, **{"$set": {"email": "a@x.io"}}
            ),
            event("purchase", "alice", 2, planId="basic", price=99.5),
            event("purchase", "bob", 1, planId="pro", price=1599, **{"$set": {"email": "b@x.io"}}),
            event("$pageview", "anon", 4, **{"$current_url": "https://x.io/pricing"}),
            event("$pageview", "anon", 3.5, **{"$current_url": "https://x.io/"}),
        ],
    )
    server.wait_ingested(5)
    send(TOKEN, [event("$identify", "alice", 0.5, **{"$anon_distinct_id": "anon"})])
    server.wait_ingested(6)
    send(other_token, [event("purchase", "eve", 1, planId="secret", price=1)])
    server.wait_ingested(1, project=other_id, key=other_key)
    yield {"server": server, "other": other_id, "other_key": other_key}
    server.stop()


def sql(setup: dict[str, Any], text: str, project: int = 1, key: str | None = None) -> Any:
    server: Server = setup["server"]
    with server.api(key or setup.get("key", "phx_test_key_1")) as api:
        response = api.post(
            f"/api/projects/{project}/query/", json={"query": {"kind": "HogQLQuery", "query": text}}
        )
    return response


def rows(setup: dict[str, Any], text: str, **kwargs: Any) -> list[list[Any]]:
    response = sql(setup, text, **kwargs)
    assert response.status_code == 200, response.text
    result: list[list[Any]] = response.json()["results"]
    return result


def refused(setup: dict[str, Any], text: str, code: str | None = None) -> str:
    response = sql(setup, text)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == code if code else body["code"] in ("invalid_sql", "query_failed"), body
    message: str = body["error"]
    return message


def test_properties_and_person_properties(two_projects: dict[str, Any]) -> None:
    result = rows(
        two_projects,
        "SELECT distinct_id, properties.planId, properties.price, person.properties.email "
        "FROM events WHERE event = 'purchase' AND properties.planId = 'pro' "
        "ORDER BY distinct_id",
    )
    assert result == [["alice", "pro", 1599, "a@x.io"], ["bob", "pro", 1599, "b@x.io"]]


def test_response_shape(two_projects: dict[str, Any]) -> None:
    body = sql(
        two_projects, "SELECT event, count() AS n FROM events GROUP BY event ORDER BY event"
    ).json()
    assert body["columns"] == ["event", "n"]
    assert body["types"] == [["event", "LowCardinality(String)"], ["n", "UInt64"]]
    assert body["results"] == [["$identify", 1], ["$pageview", 2], ["purchase", 3]]
    assert body["hasMore"] is False and body["limit"] == 100 and body["offset"] == 0


def test_aggregates_use_property_types(two_projects: dict[str, Any]) -> None:
    result = rows(
        two_projects,
        "SELECT properties.planId AS plan, count(), sum(properties.price), "
        "round(avg(toFloat(properties.price)), 2), max(timestamp) > now() - INTERVAL 7 DAY "
        "FROM events WHERE event = 'purchase' GROUP BY plan ORDER BY plan",
    )
    assert result == [["basic", 1, 99.5, 99.5, True], ["pro", 2, 3198, 1599, True]]


def test_join_events_and_persons(two_projects: dict[str, Any]) -> None:
    result = rows(
        two_projects,
        "SELECT p.properties.email, count() FROM events e "
        "JOIN persons p ON e.person_id = p.id GROUP BY p.properties.email ORDER BY 1",
    )
    # alice's person holds her purchases, her $identify and the merged visitor's views.
    assert result == [["a@x.io", 5], ["b@x.io", 1]]


def test_person_id_after_a_merge(two_projects: dict[str, Any]) -> None:
    result = rows(
        two_projects,
        "SELECT distinct_id, person_id FROM events WHERE distinct_id IN ('alice', 'anon')",
    )
    assert len(result) == 5
    assert len({person for _, person in result}) == 1
    [[unique]] = rows(two_projects, "SELECT count(DISTINCT person_id) FROM events")
    assert unique == 2
    [[alice]] = rows(
        two_projects, "SELECT person_id FROM person_distinct_ids WHERE distinct_id = 'anon'"
    )
    assert alice == result[0][1]


def test_subqueries_ctes_and_unions(two_projects: dict[str, Any]) -> None:
    result = rows(
        two_projects,
        "WITH buyers AS (SELECT distinct_id, count() AS n FROM events "
        "WHERE event = 'purchase' GROUP BY distinct_id) "
        "SELECT b.distinct_id, b.n FROM buyers b WHERE b.n > 1 "
        "UNION ALL SELECT 'total', (SELECT count() FROM events WHERE event = 'purchase')",
    )
    assert sorted(result) == [["alice", 2], ["total", 3]]


def test_timestamps_come_back_as_iso(two_projects: dict[str, Any]) -> None:
    [[stamp]] = rows(two_projects, "SELECT max(timestamp) FROM events WHERE event = 'purchase'")
    assert stamp.endswith("Z")
    datetime.fromisoformat(stamp)


def test_limits(two_projects: dict[str, Any]) -> None:
    body = sql(two_projects, "SELECT event FROM events ORDER BY timestamp LIMIT 2").json()
    assert len(body["results"]) == 2 and body["hasMore"] is True
    body = sql(two_projects, "SELECT event FROM events LIMIT 1000000").json()
    assert body["limit"] == 10_000 and body["hasMore"] is False


def test_other_projects_are_invisible(two_projects: dict[str, Any]) -> None:
    assert rows(two_projects, "SELECT count() FROM events WHERE properties.planId = 'secret'") == [
        [0]
    ]
    assert (
        rows(
            two_projects,
            "SELECT distinct_id FROM events WHERE distinct_id = 'eve' OR 1 = 1 LIMIT 100",
        )
        != []
    )
    everyone = rows(two_projects, "SELECT DISTINCT distinct_id FROM events WHERE 1 = 1 OR 0")
    assert "eve" not in {d for [d] in everyone}
    assert "team_id" in refused(two_projects, "SELECT event FROM events WHERE team_id = 2")
    other = rows(
        two_projects,
        "SELECT distinct_id, properties.planId FROM events",
        project=two_projects["other"],
        key=two_projects["other_key"],
    )
    assert other == [["eve", "secret"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT * FROM system.tables", "no system tables"),
        ("SELECT * FROM hedgerow.events", "not available"),
        ("SELECT * FROM file('/etc/passwd')", "table functions"),
        ("SELECT * FROM url('http://127.0.0.1/')", "table functions"),
        ("SELECT * FROM remote('127.0.0.1', system.one)", "table functions"),
        ("SELECT file('/etc/passwd')", "file() is not available"),
        ("SELECT getSetting('max_memory_usage')", "getSetting() is not available"),
        ("INSERT INTO events VALUES (1)", "only SELECT"),
        ("ALTER TABLE events DELETE WHERE 1", "only SELECT"),
        ("DROP TABLE events", "only SELECT"),
        ("SELECT 1; DROP TABLE events", "one statement"),
        ("SELECT event FROM events SETTINGS readonly = 0", "SETTINGS"),
        ("SELECT event FROM events INTO OUTFILE '/tmp/x'", "INTO OUTFILE"),
        ("SELECT event FROM `hedgerow`.`events`", "not available"),
        ("SELECT event FROM events WHERE event = 'x' /* unterminated", "unterminated comment"),
        ("SELECT evnt FROM events", "unknown name 'evnt'"),
        ("SELECT event FROM events WHERE", "line 1, column 31"),
    ],
)
def test_refusals(two_projects: dict[str, Any], text: str, expected: str) -> None:
    assert expected in refused(two_projects, text)


def test_clickhouse_errors_are_400(two_projects: dict[str, Any]) -> None:
    message = refused(two_projects, "SELECT sum(event) FROM events", "query_failed")
    assert "ClickHouse could not run the query" in message
    assert "hedgerow.events" not in message


def test_memory_is_bounded(two_projects: dict[str, Any]) -> None:
    text = "SELECT length(arrayMap(x -> toString(x), range(400000000)))"
    message = refused(two_projects, text, "query_memory_limit")
    assert "memory limit exceeded" in message and "query_max_memory" in message


def test_tables_are_unchanged_after_write_attempts(two_projects: dict[str, Any]) -> None:
    refused(two_projects, "SELECT 1; DELETE FROM events WHERE 1")
    [[count]] = rows(two_projects, "SELECT count() FROM events")
    assert count == 6


def test_request_without_sql_is_refused(two_projects: dict[str, Any]) -> None:
    server: Server = two_projects["server"]
    with server.api() as api:
        response = api.post("/api/projects/1/query/", json={"query": {"kind": "HogQLQuery"}})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_query"


def test_string_literals_reach_clickhouse_unchanged(two_projects: dict[str, Any]) -> None:
    # A backslash, a tab and a newline in a literal: each must arrive as one character.
    text = "SELECT 'a\\\\b\\tc\\nd' AS s, length(s) FROM events LIMIT 1"
    assert rows(two_projects, text) == [["a\\b\tc\nd", 7]]
