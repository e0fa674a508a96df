"""Backend jobs as events: `Job started`, then `Job succeeded` or `Job failed`.

    with client.job("nightly import", properties={"source": "s3"}) as run:
        run.properties["rows"] = import_rows()

    @client.job("send digest")
    def send_digest() -> None: ...

Every event carries `job` (the name) and `job_run_id` (one uuid per run, to pair start and
end); the end event adds `duration_ms`, what was put in `run.properties` during the run, and
on failure `error_class`. The exception itself is never swallowed. Without a `distinct_id`
the events go under `job:<name>` and create no person (`$process_person_profile: false`).
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from hedgerow_client.events import DistinctId, uuid7
from hedgerow_client.transport import logger

P = ParamSpec("P")
R = TypeVar("R")

STARTED = "Job started"
SUCCEEDED = "Job succeeded"
FAILED = "Job failed"


class EventCapturer(Protocol):
    """What a job needs of the client: `Client.capture` (the client imports this module,
    never the other way round)."""

    def capture(
        self,
        event: str,
        *,
        distinct_id: DistinctId,
        properties: Mapping[str, Any] | None = None,
    ) -> str: ...


class JobRun:
    """One run of a job; `properties` set during the run are sent with its end event."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.run_id = uuid7()
        self.properties: dict[str, Any] = {}
        self._started = 0.0

    def start(self) -> None:
        self._started = time.perf_counter()
        self.job._send(STARTED, {"job_run_id": self.run_id})

    def finish(self, error: BaseException | None) -> None:
        duration_ms = round((time.perf_counter() - self._started) * 1000, 3)
        extra: dict[str, Any] = {
            **self.properties,
            "job_run_id": self.run_id,
            "duration_ms": duration_ms,
        }
        if error is not None:
            extra["error_class"] = type(error).__qualname__
        self.job._send(FAILED if error is not None else SUCCEEDED, extra)


class Job:
    """A named backend job, used as a context manager (sync or async) or a decorator.

    As a decorator every call is its own run. As a context manager one `Job` object tracks
    one run at a time: `with client.job(...)` creates a fresh one each time.
    """

    def __init__(
        self,
        client: EventCapturer,
        name: str,
        *,
        distinct_id: DistinctId | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("A job needs a name, e.g. client.job('nightly import').")
        self.client = client
        self.name = name
        self.distinct_id = distinct_id
        self.properties = dict(properties or {})
        self._run: JobRun | None = None

    def _send(self, event: str, extra: dict[str, Any]) -> None:
        properties = {**self.properties, **extra, "job": self.name}
        distinct_id = self.distinct_id
        if distinct_id is None:
            distinct_id = f"job:{self.name}"
            properties["$process_person_profile"] = False
        try:
            self.client.capture(event, distinct_id=distinct_id, properties=properties)
        except Exception:  # tracking must never break the job
            logger.exception("hedgerow-client: could not capture %r for job %r", event, self.name)

    def __enter__(self) -> JobRun:
        self._run = JobRun(self)
        self._run.start()
        return self._run

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._run is not None:
            self._run.finish(exc)
            self._run = None

    async def __aenter__(self) -> JobRun:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                run = JobRun(self)
                run.start()
                try:
                    result = await func(*args, **kwargs)
                except BaseException as error:
                    run.finish(error)
                    raise
                run.finish(None)
                return result

            return cast(Callable[P, R], run_async)

        @functools.wraps(func)
        def run_sync(*args: P.args, **kwargs: P.kwargs) -> R:
            run = JobRun(self)
            run.start()
            try:
                result = func(*args, **kwargs)
            except BaseException as error:
                run.finish(error)
                raise
            run.finish(None)
            return result

        return run_sync
