"""The event one API request becomes, shared by the ASGI and WSGI middlewares.

`API request` with `method`, `route` (the route template, such as `/orders/{order_id}`, so
that requests group by endpoint and not by id), `status_code`, `latency_ms`, `error_class`
when the app raised, and whatever the user's `properties` function adds. The distinct_id
comes from the user's function; a request it returns None for (no signed-in user) is sent
under a fresh uuid without creating a person (`$process_person_profile: false`).
Nothing here may break the request: failures of the user's functions are logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from hedgerow_client.client import Client
from hedgerow_client.events import DistinctId, uuid7
from hedgerow_client.transport import logger

API_REQUEST = "API request"

T = TypeVar("T")


def call_hook(hook: Callable[[T], Any] | None, request: T, what: str) -> Any:
    if hook is None:
        return None
    try:
        return hook(request)
    except Exception:
        logger.exception("hedgerow-client: the %s function raised; request still captured", what)
        return None


def capture_request(
    client: Client,
    event: str,
    *,
    distinct_id: DistinctId | None,
    extra: Mapping[str, Any] | None,
    method: str,
    route: str | None,
    status_code: int | None,
    started: float,
    error: BaseException | None,
) -> None:
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    properties: dict[str, Any] = dict(extra) if isinstance(extra, Mapping) else {}
    properties.update(method=method, route=route, status_code=status_code, latency_ms=latency_ms)
    if error is not None:
        properties["error_class"] = type(error).__qualname__
    if distinct_id is None:
        distinct_id = uuid7()
        properties["$process_person_profile"] = False
    try:
        client.capture(event, distinct_id=distinct_id, properties=properties)
    except Exception:
        logger.exception("hedgerow-client: could not capture the %s %s request", method, route)
