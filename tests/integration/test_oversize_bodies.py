"""Bodies over the size limit are answered 413 every time, and the connection ends cleanly.

The client here is what an SDK is: it sends its whole body while reading the answer. Before
the lingering close (hedgerow/serving/protocol.py) the server answered early and then closed
the socket with the rest of the body unread, so the kernel reset the connection: the
client's writes failed and the 413 could be destroyed before it was read.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from server import TOKEN, Server

MIB = 1024 * 1024
BLOCK = b"a" * (256 * 1024)
PREFIX = b'{"event":"oversize","distinct_id":"u1","token":"' + TOKEN.encode() + b'","pad":"'
SUFFIX = b'"}'
REPEATS = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("oversize") / "data").start()
    yield instance
    instance.stop()


def _body(size: int) -> Iterator[bytes]:
    """A JSON event of `size` bytes, produced in pieces (never held whole)."""
    yield PREFIX
    left = size - len(PREFIX) - len(SUFFIX)
    while left > 0:
        piece = BLOCK[: min(left, len(BLOCK))]
        left -= len(piece)
        yield piece
    yield SUFFIX


@dataclass
class Exchange:
    received: bytearray = field(default_factory=bytearray)
    send_error: str | None = None
    receive_error: str | None = None

    def answer(self) -> tuple[int, dict[str, str], dict[str, object]]:
        head, _, body = bytes(self.received).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        length = int(headers["content-length"])
        assert len(body) == length, self.received[:400]
        return status, headers, json.loads(body)


def send_while_reading(
    server: Server, path: str, size: int, *, chunked: bool, close: bool
) -> Exchange:
    """POST `size` bytes, reading the answer on another thread as it comes."""
    exchange = Exchange()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)

    def read() -> None:
        try:
            while data := sock.recv(65536):
                exchange.received += data
        except OSError as exc:
            exchange.receive_error = repr(exc)

    reader = threading.Thread(target=read)
    reader.start()
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    connection = "close" if close else "keep-alive"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Connection: {connection}\r\n{framing}\r\n\r\n"
    )
    try:
        sock.sendall(head.encode())
        for piece in _body(size):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
    except OSError as exc:
        exchange.send_error = repr(exc)
    reader.join(60)
    sock.close()
    return exchange


CASES = [
    (path, size, chunked, close)
    for path, sizes in (("/e/", (3 * MIB, 20 * MIB, 200 * MIB)), ("/batch/", (21 * MIB,)))
    for size in sizes
    for chunked in (False, True)
    for close in (False, True)
]


@pytest.mark.parametrize(
    ("path", "size", "chunked", "close"),
    CASES,
    ids=[
        f"{p.strip('/')}-{s // MIB}MiB-{'chunked' if c else 'length'}-{'close' if x else 'keep'}"
        for p, s, c, x in CASES
    ],
)
def test_oversize_body_gets_413_and_a_clean_end(
    server: Server, path: str, size: int, chunked: bool, close: bool
) -> None:
    for _ in range(REPEATS if size < 100 * MIB else 1):
        exchange = send_while_reading(server, path, size, chunked=chunked, close=close)
        assert exchange.send_error is None, "the server reset the connection mid-body"
        assert exchange.receive_error is None, "the answer ended with a reset"
        status, headers, body = exchange.answer()
        assert (status, body["status"], body["code"]) == (413, 413, "payload_too_large")
        assert headers["connection"] == "close"
    assert server.status()["received"] == 0


def test_the_excess_is_never_held_in_memory(server: Server) -> None:
    """A 200 MiB chunked body raises the server's peak memory by far less than 200 MiB."""
    assert server.process is not None
    status_file = f"/proc/{server.process.pid}/status"

    def peak_kib() -> int:
        with open(status_file) as lines:
            return next(int(line.split()[1]) for line in lines if line.startswith("VmHWM:"))

    before = peak_kib()
    exchange = send_while_reading(server, "/e/", 200 * MIB, chunked=True, close=False)
    assert exchange.answer()[0] == 413
    assert (peak_kib() - before) * 1024 < 50 * MIB


def test_keep_alive_client_after_a_413(server: Server) -> None:
    """A pooled client sends an oversize body, then a good event: each gets its own answer."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        big = client.post("/e/", content=b"".join(_body(3 * MIB)))
        assert big.status_code == 413
        assert big.json()["code"] == "payload_too_large"
        good = client.post("/e/", json={"event": "after", "distinct_id": "u2", "token": TOKEN})
        assert good.status_code == 200
    server.wait_ingested(1)
    assert [e["event"] for e in server.events()] == ["after"]
