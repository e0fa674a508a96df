"""The cluster the suites run on with `--configuration=cluster` (tests/split_server.py)
is what it claims: the router sends every capture path to the capture processes, both of
them, and the rest to `hedgerow web`; both ingestion workers take part; every event sent
through the router is stored once."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import httpx

from cluster_router import is_capture_path
from hedgerow.intake.partitions import partition_of
from ingest_process import committed_offsets, partition_owners
from split_server import INGEST_PROCESSES, SplitServer

from readback import all_rows
from server import TOKEN


def test_the_router_sends_every_capture_route_to_capture() -> None:
    """Every route `hedgerow capture` has (from its route table) is a capture path for the
    router (and docs/deploy.md's table); the API, the web app and the SDK file are not."""
    from hedgerow.capture.routes import capture_routes

    async def handler(request: object) -> None:
        raise AssertionError("not called")

    service = SimpleNamespace(
        capture=handler, flags=handler, remote_config=handler, remote_config_js=handler
    )
    paths = [route.path.replace("{token}", TOKEN) for route in capture_routes(service)]
    assert len(paths) >= 16
    assert [p for p in paths if not is_capture_path(p)] == []
    for path in ["/", "/api/projects/1/query/", "/static/hedgerow.js", "/_health", "/events"]:
        assert not is_capture_path(path), path
    assert not is_capture_path("/array/a/b/config") and not is_capture_path("/batchx")


def test_capture_and_ingestion_are_shared_by_two_processes_each(tmp_path: Path) -> None:
    cluster = SplitServer(tmp_path / "data").start()
    try:
        assert cluster.router is not None and len(cluster.captures) == 2
        rng = random.Random(7)
        sent: list[str] = []
        distinct_ids: set[str] = set()
        with httpx.Client(base_url=cluster.url, timeout=30) as http:
            for _ in range(10):
                batch = [
                    {"event": "spread", "distinct_id": f"u{rng.randrange(500)}"} for _ in range(20)
                ]
                for event in batch:
                    event["uuid"] = str(uuid.uuid4())
                response = http.post("/batch/", json={"api_key": TOKEN, "batch": batch})
                assert response.status_code == 200, response.text
                sent += [str(e["uuid"]) for e in batch]
                distinct_ids.update(str(e["distinct_id"]) for e in batch)
        cluster.wait_ingested(len(sent))
        stored = Counter(
            u for (u,) in all_rows(cluster, ["uuid"], event="spread", orderBy=["uuid ASC"])
        )
        assert stored == Counter(sent)
        requests = cluster.router.requests
        captured = [requests[c.port] for c in cluster.captures]
        assert captured == [5, 5], requests
        assert cluster.web is not None and requests[cluster.web.port] > 0  # the API's reads
        owners = partition_owners(cluster.installation.nats.url)
        assert len(set(owners.values())) == INGEST_PROCESSES, owners
        # Both workers ingest: each holds partitions that the sent events fall in, and every
        # such partition's offset was committed (its events read and stored by its owner).
        partitions = {partition_of(1, d, len(owners)) for d in distinct_ids}
        assert len({owners[p] for p in partitions}) == INGEST_PROCESSES, (partitions, owners)
        offsets = committed_offsets(cluster.installation.nats.url)
        assert all(offsets.get(p, 0) > 0 for p in partitions), offsets
    finally:
        cluster.stop()
