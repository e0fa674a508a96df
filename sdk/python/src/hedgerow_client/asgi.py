"""ASGI middleware: one `API request` event per HTTP request (see `api_requests.py`).

    app = Starlette(routes=..., middleware=[
        Middleware(ASGIMiddleware, client=client, distinct_id=user_id_of),
    ])

The route template is the one Starlette (or FastAPI) matched, read from the request scope
after the app ran, with the prefixes of any mounts in front; an unmatched request has route
None unless a `route` function says otherwise. The status is the one the app sent; an
exception that escapes the app is recorded as status 500 with its `error_class` and raised
again. `latency_ms` runs from the request's arrival to the app's return (body sent).
The user's functions get the ASGI scope, after the app ran, so they see what inner
middlewares added (`scope["user"]` of Starlette's AuthenticationMiddleware, for instance).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from hedgerow_client.api_requests import API_REQUEST, call_hook, capture_request
from hedgerow_client.client import Client
from hedgerow_client.events import DistinctId

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def route_template(scope: Scope, root_path: str) -> str | None:
    """The matched route's path template, with the mount prefixes that led to it."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    current_root = scope.get("root_path", "")
    prefix = current_root[len(root_path) :] if current_root.startswith(root_path) else ""
    if getattr(route, "endpoint", None) is None:  # a Mount whose app matched no route
        return prefix or path
    return prefix + path


class ASGIMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        client: Client,
        *,
        distinct_id: Callable[[Scope], DistinctId | None],
        properties: Callable[[Scope], Mapping[str, Any]] | None = None,
        route: Callable[[Scope], str | None] | None = None,
        event: str = API_REQUEST,
    ) -> None:
        self.app = app
        self.client = client
        self.distinct_id = distinct_id
        self.properties = properties
        self.route = route
        self.event = event

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        status: int | None = None

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_and_note_status)
        except Exception as raised:
            error = raised
            raise
        finally:
            if self.route is not None:
                template = call_hook(self.route, scope, "route")
            else:
                template = route_template(scope, root_path)
            capture_request(
                self.client,
                self.event,
                distinct_id=call_hook(self.distinct_id, scope, "distinct_id"),
                extra=call_hook(self.properties, scope, "properties"),
                method=str(scope.get("method", "")),
                route=template,
                status_code=status if status is not None else (500 if error else None),
                started=started,
                error=error,
            )
