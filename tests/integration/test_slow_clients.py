"""Slow clients are cut off: headers that take too long close the connection, a body that
takes too long is answered 408, and many slow connections do not stop other clients."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from server import TOKEN, Server

TIMEOUT = "1"  # seconds, for both the headers and the body
DEADLINE = 15.0  # how long a test waits for the server to act (far above the timeouts)
SLOW_HEADERS = b"POST /e/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
TRICKLE = SLOW_HEADERS + b"X-Slow: "  # then a value growing for ever, so the headers never end


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("slow") / "data"
    env = {"HEDGEROW_HEADER_TIMEOUT": TIMEOUT, "HEDGEROW_BODY_TIMEOUT": TIMEOUT}
    instance = Server(data_dir, **env).start()
    yield instance
    instance.stop()


def _closed_by_server(sock: socket.socket) -> bool:
    """True if the server has closed the (readable) connection: end of stream or reset."""
    try:
        return sock.recv(4096) == b""
    except OSError:
        return True


class SlowLoris:
    """Connections sending their request headers a byte at a time, never finishing them."""

    def __init__(self, server: Server, count: int) -> None:
        self.sockets = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(count)]
        self.closed: set[int] = set()
        self.rounds = 0  # bytes sent on each connection so far
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle)

    def __enter__(self) -> SlowLoris:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()

    def _trickle(self) -> None:
        position = 0
        while not self._stop.is_set():
            open_sockets = [s for i, s in enumerate(self.sockets) if i not in self.closed]
            for sock in open_sockets:
                try:
                    sock.send(TRICKLE[position : position + 1] or b"a")  # a header value

                except OSError:
                    self.closed.add(self.sockets.index(sock))
            readable, _, _ = select.select(open_sockets, [], [], 0)
            for sock in readable:  # the server never answers these: readable means closed
                if _closed_by_server(sock):
                    self.closed.add(self.sockets.index(sock))
            position += 1
            self.rounds += 1
            self._stop.wait(0.1)

    def wait_rounds(self, rounds: int) -> None:
        deadline = time.monotonic() + DEADLINE
        while self.rounds < rounds and time.monotonic() < deadline:
            time.sleep(0.01)

    def wait_all_closed(self) -> bool:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and len(self.closed) < len(self.sockets):
            time.sleep(0.1)
        return len(self.closed) == len(self.sockets)


def test_slow_headers_are_cut_off(server: Server) -> None:
    with SlowLoris(server, 1) as loris:
        assert loris.wait_all_closed(), "the server kept a slow-header connection open"


def test_many_slow_connections_do_not_stop_other_clients(server: Server) -> None:
    with SlowLoris(server, 50) as loris:
        loris.wait_rounds(3)  # every connection has begun its headers
        event = {"event": "while slow clients wait", "distinct_id": "u1", "token": TOKEN}
        response = httpx.post(server.url + "/e/", json=event, timeout=10)
        assert response.status_code == 200
        assert loris.wait_all_closed()
    server.wait_ingested(1)
    assert [e["event"] for e in server.events()] == ["while slow clients wait"]


def test_slow_body_is_answered_408_and_closed(server: Server) -> None:
    received_before = server.status()["received"]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=DEADLINE)
    sock.sendall(SLOW_HEADERS + b"Content-Length: 1000\r\n\r\n" + b'{"event":')
    answer = bytearray()
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.1):
            try:
                sock.send(b" ")
            except OSError:
                return

    trickler = threading.Thread(target=trickle)
    trickler.start()
    try:
        while data := sock.recv(65536):  # up to the end of the stream (or a timeout: fail)
            answer += data
    finally:
        stop.set()
        trickler.join()
        sock.close()
    head, _, body = bytes(answer).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"connection: close" in head.lower()
    assert json.loads(body)["code"] == "request_timeout"
    assert server.status()["received"] == received_before
