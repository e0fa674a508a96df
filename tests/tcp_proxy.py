"""A TCP proxy of the test's own between one process and a server: that process's only road
to it, which the test can hold and release.

Held, the proxy forwards nothing in either direction and accepts new connections without
forwarding them either, but closes nothing: to the process the server has gone silent (its
requests wait for answers that do not come), while every other process still reaches the
server directly. A connection the server closes (it was stopped) is closed on the other side
too, so the process sees what it would see without the proxy.
"""

from __future__ import annotations

import selectors
import socket
import threading

CHUNK = 65536
TICK = 0.05  # seconds between looks at `held` and `closed`


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(TICK)
        self.port = int(self._listener.getsockname()[1])
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, name="proxy-accept", daemon=True)
        self._accepting.start()

    def hold(self) -> None:
        """Stop forwarding (nothing is closed)."""
        self._flowing.clear()

    def release(self) -> None:
        """Forward again what waited and what follows."""
        self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        self._accepting.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._pipe, args=(client,), daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _pipe(self, client: socket.socket) -> None:
        """Forward one connection both ways until either side closes it."""
        while not self._flowing.wait(TICK):
            if self._closed.is_set():
                client.close()
                return
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:  # the server is down: as if it refused the process itself
            client.close()
            return
        peers = {client: server, server: client}
        with selectors.DefaultSelector() as selector, client, server:
            for end in peers:
                end.setblocking(False)
                selector.register(end, selectors.EVENT_READ)
            while not self._closed.is_set():
                if not self._flowing.is_set():
                    self._flowing.wait(TICK)
                    continue
                for key, _ in selector.select(TICK):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = source.recv(CHUNK)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        return
                    try:
                        _send_all(peers[source], data)
                    except OSError:
                        return


def _send_all(end: socket.socket, data: bytes) -> None:
    """Send everything on a non-blocking socket (waiting while its buffer is full)."""
    view = memoryview(data)
    while view:
        try:
            sent = end.send(view)
        except BlockingIOError:
            with selectors.DefaultSelector() as selector:
                selector.register(end, selectors.EVENT_WRITE)
                selector.select(1.0)
            continue
        view = view[sent:]
