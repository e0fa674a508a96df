"""The job tracker against the real server: start, then success or failure with a duration.

As a decorator (sync and async functions) and as a context manager; every run pairs its
`Job started` with one end event through `job_run_id`, and a failure is re-raised.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hedgerow_client import Client

from readback import unique
from server import TOKEN, Server

SLEEP = 0.05


class ImportBroken(Exception):
    pass


@pytest.fixture()
def client(server: Server) -> Iterator[Client]:
    instance = Client(TOKEN, host=server.url, flush_interval=60)
    yield instance
    instance.shutdown()


def job_events(server: Server, job: str, count: int) -> dict[str, list[dict[str, Any]]]:
    """The events of job `job`, by event name, once there are `count` in all."""
    deadline = time.monotonic() + 30
    while True:
        rows = [
            row
            for name in ("Job started", "Job succeeded", "Job failed")
            for row in server.events(
                event=name, properties=[{"key": "job", "value": job, "operator": "exact"}]
            )
        ]
        if len(rows) >= count or time.monotonic() > deadline:
            assert len(rows) == count, f"expected {count} events of {job}, found {len(rows)}"
            grouped: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                grouped.setdefault(row["event"], []).append(row)
            return grouped


def test_decorated_function_success_and_failure(server: Server, client: Client) -> None:
    name = unique("nightly import")

    @client.job(name, properties={"source": "s3"})
    def run_import(fail: bool) -> int:
        time.sleep(SLEEP)
        if fail:
            raise ImportBroken("bad row 17")
        return 42

    assert run_import(False) == 42
    with pytest.raises(ImportBroken, match="bad row 17"):
        run_import(True)
    client.flush()

    events = job_events(server, name, 4)
    started = {row["properties"]["job_run_id"]: row for row in events["Job started"]}
    [succeeded], [failed] = events["Job succeeded"], events["Job failed"]
    assert set(started) == {
        succeeded["properties"]["job_run_id"],
        failed["properties"]["job_run_id"],
    }
    for row in (succeeded, failed):
        assert row["properties"]["source"] == "s3"
        assert SLEEP * 1000 <= row["properties"]["duration_ms"] < 30_000
        assert row["distinct_id"] == f"job:{name}"
        assert row["properties"]["$process_person_profile"] is False
    assert failed["properties"]["error_class"] == "ImportBroken"
    assert "error_class" not in succeeded["properties"]
    assert "duration_ms" not in next(iter(started.values()))["properties"]


def test_context_manager_adds_what_the_run_learned(server: Server, client: Client) -> None:
    name, owner = unique("send digest"), unique("ops")
    with client.job(name, distinct_id=owner) as run:
        time.sleep(SLEEP)
        run.properties["emails"] = 120
    client.flush()

    events = job_events(server, name, 2)
    [started], [succeeded] = events["Job started"], events["Job succeeded"]
    assert (
        started["properties"]["job_run_id"] == succeeded["properties"]["job_run_id"] == run.run_id
    )
    assert succeeded["properties"]["emails"] == 120
    assert succeeded["distinct_id"] == started["distinct_id"] == owner
    assert SLEEP * 1000 <= succeeded["properties"]["duration_ms"] < 30_000


def test_async_jobs(server: Server, client: Client) -> None:
    name = unique("async rebuild")

    @client.job(name)
    async def rebuild() -> str:
        await asyncio.sleep(SLEEP)
        return "done"

    async def failing() -> None:
        async with client.job(name):
            raise ImportBroken("nope")

    assert asyncio.run(rebuild()) == "done"
    with pytest.raises(ImportBroken):
        asyncio.run(failing())
    client.flush()

    events = job_events(server, name, 4)
    [succeeded], [failed] = events["Job succeeded"], events["Job failed"]
    assert SLEEP * 1000 <= succeeded["properties"]["duration_ms"] < 30_000
    assert failed["properties"]["error_class"] == "ImportBroken"
