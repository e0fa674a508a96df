"""How many queries one project may run at once.

A project over `query_concurrency` gets 429 `too_many_queries` with `Retry-After` at once,
instead of queueing for the shared thread pool and the event store: one project's burst of
heavy queries cannot hold every thread, and the other projects' queries run as usual.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from hedgerow.errors import TooManyRequests

P = ParamSpec("P")
T = TypeVar("T")

RETRY_AFTER_SECONDS = 1


class QueryGate:
    def __init__(self, concurrency: int = 4) -> None:
        self.concurrency = concurrency
        self._running: Counter[int] = Counter()

    async def run(self, team_id: int, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `func(*args)` in the thread pool as one of the project's queries. The slot is
        held until the function returns, even when the client has gone: that is when the
        event store stops working for it."""
        if self._running[team_id] >= self.concurrency:
            raise TooManyRequests(
                f"This project already runs {self.concurrency} queries at once (setting "
                "query_concurrency); retry when one has finished.",
                code="too_many_queries",
                retry_after=RETRY_AFTER_SECONDS,
            )
        self._running[team_id] += 1  # no await between the check and here: one event loop
        try:
            return await run_in_threadpool(func, *args, **kwargs)
        finally:
            self._running[team_id] -= 1
            if not self._running[team_id]:
                del self._running[team_id]
