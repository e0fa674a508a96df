"""The request middlewares on real apps, served on 127.0.0.1 and called over HTTP.

A Starlette app under uvicorn (ASGIMiddleware) and a plain WSGI app under wsgiref
(WSGIMiddleware) send their events to the real Hedgerow server; each request must become
exactly one `API request` event with the route template, method, status and a latency at
least as long as the handler slept; an exception is recorded and reaches the layer outside
the middleware unchanged.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from hedgerow_client import Client
from hedgerow_client.asgi import ASGIMiddleware, Scope
from hedgerow_client.wsgi import WSGIMiddleware

from readback import unique
from server import TOKEN, Server, free_port

SLEEP = 0.05


class PaymentFailed(Exception):
    pass


def api_requests(server: Server, run: str, count: int) -> list[dict[str, Any]]:
    """The `API request` events of one test run, once there are `count` of them."""
    deadline = time.monotonic() + 30
    while True:
        rows = server.events(
            event="API request",
            properties=[{"key": "run", "value": run, "operator": "exact"}],
        )
        if len(rows) >= count or time.monotonic() > deadline:
            assert len(rows) == count, f"expected {count} events, found {len(rows)}"
            return rows


def by_path(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        row["properties"]["path"]: row["properties"] | {"$distinct_id": row["distinct_id"]}
        for row in rows
    }


@pytest.fixture()
def client(server: Server) -> Iterator[Client]:
    instance = Client(TOKEN, host=server.url, flush_interval=60)
    yield instance
    instance.shutdown()


# -- ASGI: Starlette under uvicorn ---------------------------------------------------------


def user_of_scope(scope: Scope) -> str | None:
    headers = dict(scope["headers"])
    return headers.get(b"x-user-id", b"").decode() or None


def starlette_app(client: Client, run: str, errors: list[str]) -> Starlette:
    async def show_order(request: Request) -> Response:
        await asyncio.sleep(SLEEP)
        return JSONResponse({"id": request.path_params["order_id"]})

    async def create_order(request: Request) -> Response:
        return JSONResponse({"created": True}, status_code=201)

    async def pay(request: Request) -> Response:
        raise PaymentFailed("card declined")

    async def secret(request: Request) -> Response:
        raise HTTPException(403, "not yours")

    async def item(request: Request) -> Response:
        return PlainTextResponse(str(request.path_params["item_id"]))

    async def server_error(request: Request, exc: Exception) -> Response:
        errors.append(type(exc).__name__)  # outside the middleware: it was re-raised
        return PlainTextResponse("internal error", status_code=500)

    return Starlette(
        routes=[
            Route("/orders/{order_id}", show_order),
            Route("/orders", create_order, methods=["POST"]),
            Route("/pay", pay, methods=["POST"]),
            Route("/secret", secret),
            Mount("/api/v1", routes=[Route("/items/{item_id:int}", item)]),
        ],
        middleware=[
            Middleware(
                ASGIMiddleware,
                client=client,
                distinct_id=user_of_scope,
                properties=lambda scope: {"run": run, "path": scope["path"]},
            )
        ],
        exception_handlers={Exception: server_error},
    )


@pytest.fixture()
def serve_asgi() -> Iterator[Any]:
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def serve(app: Starlette) -> str:
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical")
        instance = uvicorn.Server(config)
        thread = threading.Thread(target=instance.run, daemon=True)
        thread.start()
        servers.append((instance, thread))
        deadline = time.monotonic() + 10
        while not instance.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return f"http://127.0.0.1:{port}"

    yield serve
    for instance, thread in servers:
        instance.should_exit = True
        thread.join(10)


def test_asgi_one_event_per_request_on_starlette(
    server: Server, client: Client, serve_asgi: Any
) -> None:
    run, user = unique("asgi-run"), unique("asgi-user")
    errors: list[str] = []
    url = serve_asgi(starlette_app(client, run, errors))

    # A fresh connection per request: a server may close a kept-alive connection after an
    # app raised, and a request sent on it meanwhile would fail with a reset.
    fresh = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=url, headers={"X-User-Id": user}, limits=fresh) as http:
        assert http.get("/orders/42").json() == {"id": "42"}
        assert http.post("/orders").status_code == 201
        assert http.post("/pay").status_code == 500
        assert http.get("/secret").status_code == 403
        assert http.get("/api/v1/items/7").text == "7"
        assert http.get("/nowhere").status_code == 404
        assert http.get("/orders/43", headers={"X-User-Id": ""}).status_code == 200
    client.flush()

    events = by_path(api_requests(server, run, 7))
    assert errors == ["PaymentFailed"]
    order = events["/orders/42"]
    assert (order["method"], order["route"], order["status_code"]) == (
        "GET",
        "/orders/{order_id}",
        200,
    )
    assert SLEEP * 1000 <= order["latency_ms"] < 30_000
    assert order["$distinct_id"] == user
    assert "error_class" not in order
    created = events["/orders"]
    assert (created["method"], created["route"], created["status_code"]) == ("POST", "/orders", 201)
    failed = events["/pay"]
    assert (failed["route"], failed["status_code"], failed["error_class"]) == (
        "/pay",
        500,
        "PaymentFailed",
    )
    assert 0 < failed["latency_ms"] < 30_000
    assert (events["/secret"]["status_code"], "error_class" in events["/secret"]) == (403, False)
    assert events["/api/v1/items/7"]["route"] == "/api/v1/items/{item_id:int}"
    assert (events["/nowhere"]["route"], events["/nowhere"]["status_code"]) == (None, 404)
    anonymous = events["/orders/43"]
    assert anonymous["$process_person_profile"] is False
    assert anonymous["$distinct_id"] != user
    assert anonymous["route"] == "/orders/{order_id}"


# -- WSGI: a plain WSGI app under wsgiref --------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A tiny framework: it notes the matched route in the environ, as real ones do."""
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if path.startswith("/orders/") and method == "GET":
        environ["shop.route"] = "/orders/<order_id>"
        time.sleep(SLEEP)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"order ", path.rsplit("/", 1)[1].encode()]
    if path == "/orders" and method == "POST":
        environ["shop.route"] = "/orders"
        start_response("201 Created", [("Content-Type", "text/plain")])
        return [b"created"]
    if path == "/pay":
        environ["shop.route"] = "/pay"
        raise PaymentFailed("card declined")
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


@pytest.fixture()
def serve_wsgi() -> Iterator[Any]:
    servers: list[WSGIServer] = []

    def serve(app: WSGIApplication) -> str:
        instance = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
        threading.Thread(target=instance.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(instance)
        return f"http://127.0.0.1:{instance.server_port}"

    yield serve
    for instance in servers:
        instance.shutdown()
        instance.server_close()


def test_wsgi_one_event_per_request(server: Server, client: Client, serve_wsgi: Any) -> None:
    run, user = unique("wsgi-run"), unique("wsgi-user")
    errors: list[str] = []
    tracked = WSGIMiddleware(
        wsgi_app,
        client,
        distinct_id=lambda environ: environ.get("HTTP_X_USER_ID") or None,
        route=lambda environ: environ.get("shop.route"),
        properties=lambda environ: {"run": run, "path": environ["PATH_INFO"]},
    )

    def outside(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return tracked(environ, start_response)
        except Exception as error:
            errors.append(type(error).__name__)
            raise

    url = serve_wsgi(outside)
    # A fresh connection per request: a server may close a kept-alive connection after an
    # app raised, and a request sent on it meanwhile would fail with a reset.
    fresh = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=url, headers={"X-User-Id": user}, limits=fresh) as http:
        assert http.get("/orders/42").text == "order 42"
        assert http.post("/orders").status_code == 201
        assert http.post("/pay").status_code == 500
        assert http.get("/nowhere").status_code == 404
    client.flush()

    events = by_path(api_requests(server, run, 4))
    assert errors == ["PaymentFailed"]
    order = events["/orders/42"]
    assert (order["method"], order["route"], order["status_code"]) == (
        "GET",
        "/orders/<order_id>",
        200,
    )
    assert SLEEP * 1000 <= order["latency_ms"] < 30_000
    assert order["$distinct_id"] == user
    assert (events["/orders"]["route"], events["/orders"]["status_code"]) == ("/orders", 201)
    failed = events["/pay"]
    assert (failed["route"], failed["status_code"], failed["error_class"]) == (
        "/pay",
        500,
        "PaymentFailed",
    )
    assert (events["/nowhere"]["route"], events["/nowhere"]["status_code"]) == (None, 404)


def test_wsgi_route_defaults_to_the_path(server: Server, client: Client, serve_wsgi: Any) -> None:
    run, user = unique("wsgi-run"), unique("wsgi-user")
    url = serve_wsgi(
        WSGIMiddleware(
            wsgi_app,
            client,
            distinct_id=lambda environ: user,
            properties=lambda environ: {"run": run, "path": environ["PATH_INFO"]},
        )
    )
    assert httpx.get(url + "/orders/7").status_code == 200
    client.flush()
    [event] = api_requests(server, run, 1)
    assert event["properties"]["route"] == "/orders/7"
    assert event["distinct_id"] == user


def test_a_failing_hook_never_breaks_the_request(
    server: Server, client: Client, serve_wsgi: Any, caplog: pytest.LogCaptureFixture
) -> None:
    run = unique("wsgi-run")

    def broken(environ: WSGIEnvironment) -> str:
        raise KeyError("no user")

    url = serve_wsgi(
        WSGIMiddleware(
            wsgi_app, client, distinct_id=broken, properties=lambda environ: {"run": run}
        )
    )
    assert httpx.get(url + "/orders/7").text == "order 7"
    client.flush()
    [event] = api_requests(server, run, 1)
    assert event["properties"]["$process_person_profile"] is False
    assert "the distinct_id function raised" in caplog.text
