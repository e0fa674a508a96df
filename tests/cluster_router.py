"""The proxy in front of a split installation, doing what docs/deploy.md asks of a
deployer's: the capture paths go to the capture processes in turn, everything else to
`hedgerow web`.

It relays bytes, not parsed requests: it reads a request's head, picks the process by its
path, sends the head on with `Connection: close` (so the next request of a kept-alive client
connection is routed by its own path) and then copies both ways until the process has
answered. Bodies, compression, chunked and streamed answers pass through untouched.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import socketserver
import threading
from collections import Counter

# docs/deploy.md, "Routing requests to the processes": the capture endpoints, the SDKs'
# flags/decide handshake and the remote config; each with or without its trailing slash.
CAPTURE_PATH = re.compile(
    r"^/(e|i/v0/e|capture|track|engage|batch|flags|decide)/?$|^/array/[^/]+/config(\.js)?$"
)
MAX_HEAD = 1 << 20


def is_capture_path(path: str) -> bool:
    return CAPTURE_PATH.match(path) is not None


class Router:
    def __init__(self, port: int, capture_ports: list[int], web_port: int) -> None:
        self.port = port
        self.web_port = web_port
        self._captures = itertools.cycle(capture_ports)
        self._lock = threading.Lock()
        self.requests: Counter[int] = Counter()  # backend port -> requests sent to it
        self._server: socketserver.ThreadingTCPServer | None = None

    def backend_for(self, path: str) -> int:
        with self._lock:
            port = next(self._captures) if is_capture_path(path) else self.web_port
            self.requests[port] += 1
        return port

    def start(self) -> Router:
        router = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                router.relay(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def relay(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk or len(head) > MAX_HEAD:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        request_line, *fields = head.split(b"\r\n")
        parts = request_line.split(b" ")
        if len(parts) != 3:
            return
        path = parts[1].split(b"?", 1)[0].decode("latin-1")
        kept = [f for f in fields if not f.lower().startswith((b"connection:", b"keep-alive:"))]
        head = b"\r\n".join([request_line, *kept, b"Connection: close"]) + b"\r\n\r\n"
        try:
            upstream = socket.create_connection(("127.0.0.1", self.backend_for(path)))
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with upstream:
            upstream.sendall(head + rest)
            sender = threading.Thread(target=_copy, args=(client, upstream), daemon=True)
            sender.start()
            _copy(upstream, client)
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # wakes the sender's recv
            sender.join(5)


def _copy(source: socket.socket, sink: socket.socket) -> None:
    """Bytes from `source` to `sink` until `source` ends (or either fails)."""
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
