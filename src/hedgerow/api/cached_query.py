"""The result cache in front of `POST query/` for the insight kinds.

A result is keyed by the project, the query as canonical JSON (keys sorted), the project's
time zone and the version of the project's actions (so an edited action is never answered
from a result computed with its old steps). `refresh` says what to do:

- `blocking` (default): a cached result younger than `--query-cache-seconds`, else compute;
- `force_blocking`: compute (and cache) whatever is cached;
- `force_cache`: the cached result, or `{"results": null, "cache_missing": true}`.

A cached answer is the first answer's result byte for byte; `is_cached`, `last_refresh` (when
the result was computed) and `cache_key` are added after it. EventsQuery and ActorsQuery
(lists of rows, often paged and live) never come through here.

One computation a key at a time: a `blocking` request for a result that is being computed
waits for that computation instead of starting its own. Without it, when a popular result
expires every request that arrives during its recomputation computes it again, and a
dashboard polled by many clients turns into a pile of identical heavy queries (the soak saw
this every `--query-cache-seconds`). The computation runs as a task of its own, so a client
that goes away does not cancel it for the others.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from hedgerow.projects import Project
from hedgerow.query.result_cache import ResultCache

CACHED_KINDS = frozenset(
    {
        "TrendsQuery",
        "FunnelsQuery",
        "RetentionQuery",
        "LifecycleQuery",
        "StickinessQuery",
        "PathsQuery",
        "HogQLQuery",
    }
)
Refresh = Literal["blocking", "force_blocking", "force_cache"]
# Set here, after the result; a runner's own `is_cached: false` is taken out of its result.
CACHE_FIELDS = frozenset({"is_cached", "last_refresh", "cache_key", "cache_missing"})


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def with_cache_fields(body: bytes, fields: dict[str, Any]) -> bytes:
    """The result's JSON object with `fields` appended, its own bytes untouched."""
    tail = orjson.dumps(fields)
    return tail if body == b"{}" else body[:-1] + b"," + tail[1:]


@dataclass
class CachedQueries:
    cache: ResultCache
    actions_version: Callable[[int], str]  # project id -> a text that changes with its actions
    _running: dict[str, asyncio.Future[tuple[bytes, float]]] = field(default_factory=dict)

    def key(self, project: Project, query: dict[str, Any]) -> str:
        parts = [project.id, project.timezone, self.actions_version(project.id), query]
        digest = hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()
        return f"{project.id}_{digest[:40]}"

    async def answer(
        self,
        project: Project,
        query: dict[str, Any],
        refresh: Refresh,
        compute: Callable[[], Awaitable[dict[str, Any]]],
    ) -> bytes:
        key = self.key(project, query)
        if refresh != "force_blocking":
            found = self.cache.get(key)
            if found is not None:
                fields = {"is_cached": True, "last_refresh": _iso(found.computed_at)}
                return with_cache_fields(found.body, {**fields, "cache_key": key})
            if refresh == "force_cache":
                return orjson.dumps(
                    {
                        "results": None,
                        "is_cached": False,
                        "cache_missing": True,
                        "last_refresh": None,
                        "cache_key": key,
                    }
                )
            running = self._running.get(key)
            if running is not None:
                return self._answered(key, *await asyncio.shield(running))
        return self._answered(key, *await asyncio.shield(self._start(project.id, key, compute)))

    def _start(
        self, project_id: int, key: str, compute: Callable[[], Awaitable[dict[str, Any]]]
    ) -> asyncio.Future[tuple[bytes, float]]:
        """The computation of `key` as a task that later requests for it can wait on."""

        async def run() -> tuple[bytes, float]:
            started = self.cache.clock()
            result = await compute()
            body = orjson.dumps({k: v for k, v in result.items() if k not in CACHE_FIELDS})
            self.cache.put(project_id, key, body, started)
            return body, started

        task = asyncio.ensure_future(run())
        self._running[key] = task

        def done(finished: asyncio.Future[tuple[bytes, float]]) -> None:
            if self._running.get(key) is finished:
                del self._running[key]
            if not finished.cancelled():
                finished.exception()  # retrieved here too: every waiter may have gone

        task.add_done_callback(done)
        return task

    @staticmethod
    def _answered(key: str, body: bytes, started: float) -> bytes:
        fields = {"is_cached": False, "last_refresh": _iso(started), "cache_key": key}
        return with_cache_fields(body, fields)
