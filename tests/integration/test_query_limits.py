"""Query limits on the real server: each limit answers 400 with its own code and ClickHouse's
reason, a query that fails leaves nothing behind for the next one, and a project past its
concurrent queries gets 429 while other projects' queries run."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server import TOKEN, Server

LIMITS = {
    "HEDGEROW_QUERY_TIMEOUT": "2",
    "HEDGEROW_QUERY_MAX_MEMORY": "64MiB",
    "HEDGEROW_QUERY_MAX_RESULT_ROWS": "50",
    "HEDGEROW_QUERY_MAX_RESULT_BYTES": "1MiB",
    "HEDGEROW_QUERY_CONCURRENCY": "1",
    # Every query here must reach the event store (repeated ones too), not the result cache.
    "HEDGEROW_QUERY_CACHE_SECONDS": "0",
}
# Runs for hours unless stopped: a million times a million pairs.
ENDLESS = (
    "SELECT count() FROM (SELECT arrayJoin(range(1000000)) AS a) AS x "
    "CROSS JOIN (SELECT arrayJoin(range(1000000)) AS b) AS y WHERE (a * b) % 7 = 3"
)
FAILING = [
    # ClickHouse starts the answer (its JSON header, then rows) before these fail.
    ("SELECT toInt64(event) FROM events", "query_failed", "Cannot parse"),
    (
        "SELECT length(groupArray(a)) FROM (SELECT arrayJoin(range(20000000)) AS a)",
        "query_memory_limit",
        "memory limit exceeded",
    ),
    ("SELECT arrayMap(x -> x, range(100000000))", "query_memory_limit", "memory limit exceeded"),
    ("SELECT event FROM events", "query_result_too_large", "max rows: 50"),  # 60 rows
    (  # 6 MB
        "SELECT repeat(distinct_id, 100000) AS s FROM events LIMIT 10",
        "query_result_too_large",
        "max bytes: 1.00 MiB",
    ),
    (ENDLESS, "query_timeout", "Timeout exceeded"),
]
COUNTS = "SELECT event, count() AS n, uniq(distinct_id) FROM events GROUP BY event ORDER BY event"
EXPECTED = [["buy", 15, 5], ["page", 45, 5]]


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Project 1: 45 `page` and 15 `buy` events of 5 users; project 2: 2 `page` events."""
    server = Server(tmp_path_factory.mktemp("limits") / "data", **LIMITS).start()
    other, other_token, other_key = server.create_project("Other")
    now = datetime.now(UTC)

    def send(token: str, names: list[str]) -> None:
        batch = [
            {
                "event": name,
                "distinct_id": f"user-{i % 5}",
                "timestamp": (now - timedelta(minutes=i)).isoformat(),
                "properties": {"i": i},
            }
            for i, name in enumerate(names)
        ]
        response = httpx.post(server.url + "/batch/", json={"api_key": token, "batch": batch})
        assert response.status_code == 200

    send(TOKEN, ["page"] * 45 + ["buy"] * 15)
    send(other_token, ["page"] * 2)
    server.wait_ingested(60)
    server.wait_ingested(2, project=other, key=other_key)
    yield {"server": server, "other": other, "other_key": other_key}
    server.stop()


def post(
    setup: dict[str, Any], query: dict[str, Any], project: int = 1, key: str | None = None
) -> httpx.Response:
    server: Server = setup["server"]
    with server.api(key or "phx_test_key_1") as api:
        return api.post(f"/api/projects/{project}/query/", json={"query": query})


def hogql(text: str) -> dict[str, Any]:
    return {"kind": "HogQLQuery", "query": text}


def assert_counts_exact(setup: dict[str, Any], times: int) -> None:
    server: Server = setup["server"]
    with server.api() as api:
        for _ in range(times):
            response = api.post("/api/projects/1/query/", json={"query": hogql(COUNTS)})
            assert response.status_code == 200, response.text[:500]
            assert response.json()["results"] == EXPECTED


@pytest.mark.parametrize(("text", "code", "reason"), FAILING)
def test_a_failed_query_answers_400_and_the_next_ones_are_exact(
    limited: dict[str, Any], text: str, code: str, reason: str
) -> None:
    # API queries run on a pool of threads, each with its own connection; sequential
    # requests reuse the most recently idle thread, which is the one the failure ran on.
    assert_counts_exact(limited, 1)
    response = post(limited, hogql(text))
    assert response.status_code == 400, response.text[:500]
    body = response.json()
    assert body["code"] == code and reason in body["error"], body
    assert "hedgerow.events" not in body["error"]
    assert_counts_exact(limited, 30)


def test_limits_apply_to_every_query_kind(limited: dict[str, Any]) -> None:
    events = {"kind": "EventsQuery", "select": ["event", "properties.i"], "limit": 100}
    response = post(limited, events)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "query_result_too_large"

    response = post(limited, {**events, "limit": 3, "orderBy": ["properties.i"]})
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [["page", 0], ["page", 1], ["page", 2]]
    trends = {"kind": "TrendsQuery", "series": [{"event": "buy"}], "interval": "month"}
    response = post(limited, {**trends, "dateRange": {"date_from": "-7d"}})
    assert response.status_code == 200, response.text
    assert sum(response.json()["results"][0]["data"]) == 15


def test_a_project_past_its_concurrent_queries_gets_429(limited: dict[str, Any]) -> None:
    slow: list[httpx.Response] = []

    def run_slow() -> None:  # retried until it holds the project's one query slot
        while not slow or slow[-1].status_code == 429:
            slow.append(post(limited, hogql(ENDLESS)))

    thread = threading.Thread(target=run_slow)
    thread.start()
    deadline = time.monotonic() + 30
    while (response := post(limited, hogql(COUNTS))).status_code != 429:
        assert response.json()["results"] == EXPECTED
        assert time.monotonic() < deadline and thread.is_alive(), "never refused"
    assert response.headers["Retry-After"] == "1"
    assert response.json()["code"] == "too_many_queries"

    other = post(limited, hogql(COUNTS), project=limited["other"], key=limited["other_key"])
    assert other.status_code == 200 and other.json()["results"] == [["page", 2, 2]]
    # the slot was held all along, so project 2 ran beside project 1's query
    assert post(limited, hogql(COUNTS)).status_code == 429

    thread.join(60)
    assert slow[-1].status_code == 400 and slow[-1].json()["code"] == "query_timeout"
    assert_counts_exact(limited, 1)
