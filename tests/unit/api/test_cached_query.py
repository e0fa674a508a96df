"""The result cache in front of `POST query/`: the refresh modes, what the key depends on,
and expiry, with a counting query instead of the event store and an injected clock."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from hedgerow.api.cached_query import CachedQueries, Refresh
from hedgerow.projects import Project
from hedgerow.query.result_cache import ResultCache

PROJECT = Project(1, "One", "phc_1", "UTC", 0.0)
QUERY = {"kind": "TrendsQuery", "series": [{"event": "$pageview"}], "interval": "day"}


class Setup:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.runs = 0
        self.versions = {1: "v1", 2: "v1"}
        self.queries = CachedQueries(ResultCache(300, clock=lambda: self.now), self.versions.get)  # type: ignore[arg-type]

    async def _compute(self) -> dict[str, Any]:
        self.runs += 1
        return {
            "results": [{"data": [self.runs, 0.1 + 0.2]}],
            "is_cached": False,
            "timezone": "UTC",
        }

    def ask(
        self,
        query: dict[str, Any] = QUERY,
        refresh: Refresh = "blocking",
        project: Project = PROJECT,
    ) -> tuple[bytes, dict[str, Any]]:
        body = asyncio.run(self.queries.answer(project, query, refresh, self._compute))
        return body, orjson.loads(body)


@pytest.fixture()
def setup() -> Setup:
    return Setup()


def test_a_second_identical_query_is_the_same_result_from_the_cache(setup: Setup) -> None:
    first_bytes, first = setup.ask()
    assert first["is_cached"] is False and setup.runs == 1
    assert first["last_refresh"] == "1970-01-12T13:46:40Z"
    setup.now += 60
    same_keys_reordered = {
        "interval": "day",
        "series": [{"event": "$pageview"}],
        "kind": "TrendsQuery",
    }
    second_bytes, second = setup.ask(same_keys_reordered)
    assert setup.runs == 1 and second["is_cached"] is True
    assert (
        second["last_refresh"] == first["last_refresh"]
        and second["cache_key"] == first["cache_key"]
    )
    result = orjson.dumps({"results": [{"data": [1, 0.1 + 0.2]}], "timezone": "UTC"})
    assert first_bytes.startswith(result[:-1] + b',"is_cached":false,')
    assert second_bytes.startswith(result[:-1] + b',"is_cached":true,')
    # The runner's own `is_cached: false` is not left beside the cache's.
    assert first_bytes.count(b'"is_cached"') == second_bytes.count(b'"is_cached"') == 1


def test_force_blocking_computes_and_force_cache_never_does(setup: Setup) -> None:
    _, missing = setup.ask(refresh="force_cache")
    assert missing == {
        "results": None,
        "is_cached": False,
        "cache_missing": True,
        "last_refresh": None,
        "cache_key": missing["cache_key"],
    }
    assert setup.runs == 0
    setup.ask()
    setup.now += 5
    _, forced = setup.ask(refresh="force_blocking")
    assert setup.runs == 2 and forced["is_cached"] is False
    assert forced["results"][0]["data"][0] == 2
    _, cached = setup.ask(refresh="force_cache")
    assert cached["is_cached"] is True and cached["results"][0]["data"][0] == 2
    assert cached["last_refresh"] == forced["last_refresh"]


def test_a_result_expires(setup: Setup) -> None:
    setup.ask()
    setup.now += 299
    assert setup.ask()[1]["is_cached"] is True
    setup.now += 1
    _, fresh = setup.ask()
    assert fresh["is_cached"] is False and setup.runs == 2
    setup.now += 300
    assert setup.ask(refresh="force_cache")[1]["cache_missing"] is True


def test_the_key_follows_project_time_zone_and_actions(setup: Setup) -> None:
    _, first = setup.ask()
    other = Project(2, "Two", "phc_2", "UTC", 0.0)
    assert setup.ask(project=other)[1]["is_cached"] is False
    paris = Project(1, "One", "phc_1", "Europe/Paris", 0.0)
    assert setup.ask(project=paris)[1]["is_cached"] is False
    setup.versions[1] = "v2"  # an action of project 1 changed
    _, after = setup.ask()
    assert after["is_cached"] is False and after["cache_key"] != first["cache_key"]
    assert setup.runs == 4
    assert setup.ask()[1]["is_cached"] is True


def test_clear_empties_one_project(setup: Setup) -> None:
    setup.ask()
    setup.ask(project=Project(2, "Two", "phc_2", "UTC", 0.0))
    assert setup.queries.cache.clear(1) == 1
    assert setup.ask()[1]["is_cached"] is False
    assert setup.ask(project=Project(2, "Two", "phc_2", "UTC", 0.0))[1]["is_cached"] is True


class Gated:
    """A computation that waits for `release`, counting how often it started."""

    def __init__(self, fail: bool = False) -> None:
        self.started = 0
        self.fail = fail
        self.release: asyncio.Event | None = None

    async def __call__(self) -> dict[str, Any]:
        assert self.release is not None
        self.started += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("the store failed")
        return {"results": [self.started]}


async def _until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


def test_requests_during_a_computation_wait_for_it_instead_of_computing_again() -> None:
    queries = CachedQueries(ResultCache(300), lambda _: "v1")
    compute = Gated()

    async def scenario() -> list[bytes]:
        compute.release = asyncio.Event()
        asks = [
            asyncio.ensure_future(queries.answer(PROJECT, QUERY, "blocking", compute))
            for _ in range(5)
        ]
        await _until(lambda: compute.started == 1)
        for _ in range(20):  # every request is waiting now; none started its own
            await asyncio.sleep(0)
        assert compute.started == 1
        compute.release.set()
        return list(await asyncio.gather(*asks))

    answers = [orjson.loads(body) for body in asyncio.run(scenario())]
    assert compute.started == 1
    assert all(a["results"] == [1] and a["is_cached"] is False for a in answers)
    assert len({a["last_refresh"] for a in answers}) == 1
    assert not queries._running  # nothing left behind for the next expiry


def test_a_failed_computation_fails_its_waiters_and_the_next_request_computes_again() -> None:
    queries = CachedQueries(ResultCache(300), lambda _: "v1")
    failing = Gated(fail=True)

    async def scenario() -> list[BaseException | bytes]:
        failing.release = asyncio.Event()
        asks = [
            asyncio.ensure_future(queries.answer(PROJECT, QUERY, "blocking", failing))
            for _ in range(3)
        ]
        await _until(lambda: failing.started == 1)
        failing.release.set()
        return list(await asyncio.gather(*asks, return_exceptions=True))

    outcomes = asyncio.run(scenario())
    assert failing.started == 1
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    working = Gated()

    async def again() -> bytes:
        working.release = asyncio.Event()
        working.release.set()
        return await queries.answer(PROJECT, QUERY, "blocking", working)

    assert orjson.loads(asyncio.run(again()))["results"] == [1] and working.started == 1


def test_a_client_that_goes_away_does_not_cancel_the_computation_for_the_others() -> None:
    queries = CachedQueries(ResultCache(300), lambda _: "v1")
    compute = Gated()

    async def scenario() -> bytes:
        compute.release = asyncio.Event()
        first = asyncio.ensure_future(queries.answer(PROJECT, QUERY, "blocking", compute))
        await _until(lambda: compute.started == 1)
        second = asyncio.ensure_future(queries.answer(PROJECT, QUERY, "blocking", compute))
        await asyncio.sleep(0)
        first.cancel()  # the first client disconnected
        await asyncio.sleep(0)
        compute.release.set()
        return await second

    assert orjson.loads(asyncio.run(scenario()))["results"] == [1]
    assert compute.started == 1
    assert queries.cache.get(queries.key(PROJECT, QUERY)) is not None  # and it was kept


def test_force_blocking_does_not_wait_for_an_older_computation() -> None:
    queries = CachedQueries(ResultCache(300), lambda _: "v1")
    compute = Gated()

    async def scenario() -> tuple[bytes, bytes]:
        compute.release = asyncio.Event()
        first = asyncio.ensure_future(queries.answer(PROJECT, QUERY, "blocking", compute))
        await _until(lambda: compute.started == 1)
        forced = asyncio.ensure_future(queries.answer(PROJECT, QUERY, "force_blocking", compute))
        await _until(lambda: compute.started == 2)
        compute.release.set()
        return await first, await forced

    first, forced = asyncio.run(scenario())
    assert orjson.loads(first)["is_cached"] is False
    assert compute.started == 2
    assert orjson.loads(forced)["results"] == [2]
