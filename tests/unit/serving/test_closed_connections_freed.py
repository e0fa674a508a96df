"""A closed connection is freed by reference counting, not left for the cyclic garbage
collector: the server runs that collector rarely (app.py), and the soak saw ~180 MiB of
closed connections and their buffers pile up between two of its runs."""

from __future__ import annotations

import gc
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from hedgerow.serving.protocol import HedgerowHttpProtocol, http_protocol


async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]


@pytest.fixture()
def server() -> Iterator[int]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        http=http_protocol(header_timeout=5, linger_timeout=5),
        log_level="critical",
        lifespan="off",
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    port = instance.servers[0].sockets[0].getsockname()[1]
    yield port
    instance.should_exit = True
    thread.join(10)


def _protocols() -> int:
    return sum(isinstance(o, HedgerowHttpProtocol) for o in gc.get_objects())


def _request(port: int, body: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(body)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")


def test_closed_connections_leave_nothing_for_the_garbage_collector(server: int) -> None:
    gc.collect()
    gc.disable()
    try:
        before = _protocols()
        for _ in range(30):
            _request(server, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        deadline = time.monotonic() + 10
        while _protocols() - before > 1 and time.monotonic() < deadline:
            time.sleep(0.02)  # the server's side of the last close may lag a moment
        assert _protocols() - before <= 1
    finally:
        gc.enable()
