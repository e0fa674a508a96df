"""WSGI middleware: one `API request` event per HTTP request (see `api_requests.py`).

    app = WSGIMiddleware(app, client, distinct_id=user_id_of, route=route_of)

WSGI has no standard place for the matched route, so `route` is a function of the environ
(called after the app ran, so it can read what the framework left there); without one the
route is the request path. The status is the one passed to `start_response`; an exception
that escapes the app, or the response body while it is sent, is recorded as status 500
(unless a status was already started) with its `error_class`, and raised again.
`latency_ms` runs until the server closes the response, i.e. the body has been sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from hedgerow_client.api_requests import API_REQUEST, call_hook, capture_request
from hedgerow_client.client import Client
from hedgerow_client.events import DistinctId

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from _typeshed import OptExcInfo


class WSGIMiddleware:
    def __init__(
        self,
        app: WSGIApplication,
        client: Client,
        *,
        distinct_id: Callable[[WSGIEnvironment], DistinctId | None],
        properties: Callable[[WSGIEnvironment], Mapping[str, Any]] | None = None,
        route: Callable[[WSGIEnvironment], str | None] | None = None,
        event: str = API_REQUEST,
    ) -> None:
        self.app = app
        self.client = client
        self.distinct_id = distinct_id
        self.properties = properties
        self.route = route
        self.event = event

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = _Request(self, environ)

        def start_and_note_status(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
        ) -> Callable[[bytes], object]:
            try:
                request.status = int(status.split(" ", 1)[0])
            except ValueError:
                request.status = None
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start_and_note_status)
        except Exception as error:
            request.finish(error)
            raise
        return _Body(body, request)

    def default_route(self, environ: WSGIEnvironment) -> str:
        return str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")) or "/"


class _Request:
    def __init__(self, middleware: WSGIMiddleware, environ: WSGIEnvironment) -> None:
        self.middleware = middleware
        self.environ = environ
        self.started = time.perf_counter()
        self.status: int | None = None
        self.done = False

    def finish(self, error: BaseException | None) -> None:
        if self.done:
            return
        self.done = True
        m = self.middleware
        route = m.route if m.route is not None else m.default_route
        status = self.status
        if error is not None and status is None:
            status = 500
        capture_request(
            m.client,
            m.event,
            distinct_id=call_hook(m.distinct_id, self.environ, "distinct_id"),
            extra=call_hook(m.properties, self.environ, "properties"),
            method=str(self.environ.get("REQUEST_METHOD", "")),
            route=call_hook(route, self.environ, "route"),
            status_code=status,
            started=self.started,
            error=error,
        )


class _Body:
    """The app's response body, passed through; the event is captured when it is closed."""

    def __init__(self, body: Iterable[bytes], request: _Request) -> None:
        self.body = body
        self.request = request

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.body
        except Exception as error:
            self.request.finish(error)
            raise

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.request.finish(None)
