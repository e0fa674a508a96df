"""uvicorn's httptools protocol with a header timeout and a lingering close.

Header timeout: uvicorn limits only the idle time between keep-alive requests. A client that
sends its request line and headers a byte at a time (slow loris) would hold a connection for
ever. Here a timer runs from the first byte of a request (or the connection's start) until
its headers are complete; when it fires the connection is closed without an answer.

Lingering close: when the app answers before reading the whole body (an early 413, a 408,
a 401), the client is still sending. uvicorn then closes the socket (always if the client
asked for `Connection: close` or the answer carries it) with the client's data unread in
the receive buffer, and the kernel answers with a reset (RST) instead of an orderly end
(FIN). The client's next write fails with "connection reset" or "broken pipe", and a reset
can destroy the answer before the client reads it: SDKs then retry the same batch for ever
instead of dropping it on the 413. So a close while a request's body is still arriving
becomes a lingering close: the answer is flushed, the write side shut down (FIN, the client
sees the answer and the end of the stream), and whatever else arrives is discarded without
parsing or buffering until the client closes too, or until `linger_timeout` seconds in all,
`LINGER_IDLE` seconds without data, or `LINGER_MAX_BYTES`; only then is the socket closed.
Such a connection is never reused for another request.

(h11, uvicorn's other HTTP implementation, behaves the same way: it skips body data after
the answer on a keep-alive connection and closes right away otherwise.)
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

LINGER_IDLE = 2.0  # seconds without data before a lingering connection is closed
LINGER_MAX_BYTES = 1024**3  # discarded bytes after which a lingering connection is closed


class _PoliteTransport:
    """The transport as uvicorn sees it: `close()` lingers while a body is still arriving."""

    def __init__(self, transport: asyncio.Transport, protocol: HedgerowHttpProtocol) -> None:
        self._transport = transport
        self._protocol = protocol

    def close(self) -> None:
        self._protocol.close_politely()

    def is_closing(self) -> bool:
        return self._protocol.lingering or self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _ClosedTransport:
    """What a protocol holds once its connection is gone: closing, and nothing to do."""

    def is_closing(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


_CLOSED = _ClosedTransport()


class HedgerowHttpProtocol(HttpToolsProtocol):
    """One client connection. `cli.py` makes a subclass with the configured timeouts."""

    header_timeout: float = 10.0
    linger_timeout: float = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lingering = False
        self._raw_transport: asyncio.Transport | None = None
        self._message_incomplete = False  # a request has begun and its body has not all come
        self._header_timer: asyncio.TimerHandle | None = None
        self._linger_timers: list[asyncio.TimerHandle] = []
        self._idle_timer: asyncio.TimerHandle | None = None
        self._discarded = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._raw_transport = transport
        self.transport = _PoliteTransport(transport, self)  # type: ignore[assignment]
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        self.lingering = False  # uvicorn's own close() on the way out closes for real
        super().connection_lost(exc)
        # Break the reference cycles a closed connection leaves (the transport and the flow
        # control point back here through the transport's protocol, the last request's
        # cycle through a bound method), so that it is freed at once with its buffers by
        # reference counting, not minutes later by the cyclic garbage collector, which the
        # server runs rarely (app.py): the soak's memory rose and fell by ~180 MiB with it.
        self.transport = _CLOSED  # type: ignore[assignment]
        self._raw_transport = None
        self.flow = None  # type: ignore[assignment]
        self.cycle = None  # type: ignore[assignment]

    # -- header timeout ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._message_incomplete = True
        self._start_header_timer()

    def on_headers_complete(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._message_incomplete = False
        super().on_message_complete()

    def _start_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _headers_late(self) -> None:
        self._header_timer = None
        if self._raw_transport is not None and not self._raw_transport.is_closing():
            self._raw_transport.close()  # a slow client gets no lingering either

    # -- lingering close --------------------------------------------------------------

    def on_response_complete(self) -> None:
        if self._message_incomplete and not self.transport.is_closing():
            # Answered before the body came (keep-alive client, no `Connection: close`):
            # uvicorn would go on parsing the rest of the body for as long as it comes.
            self.close_politely()
        super().on_response_complete()

    def shutdown(self) -> None:
        if self.lingering or self.cycle is None or self.cycle.response_complete:
            self._close_now()  # the server is stopping: no waiting for slow clients
        else:
            super().shutdown()

    def close_politely(self) -> None:
        raw = self._raw_transport
        if raw is None or raw.is_closing() or self.lingering:
            return
        if not self._message_incomplete or not raw.can_write_eof():
            raw.close()
            return
        self.lingering = True
        raw.write_eof()  # after the answer is flushed: FIN, the client sees the end
        self.flow.resume_reading()
        self._linger_timers.append(self.loop.call_later(self.linger_timeout, raw.close))
        self._touch_idle_timer()

    def data_received(self, data: bytes) -> None:
        if not self.lingering:
            super().data_received(data)
            return
        self._discarded += len(data)
        if self._discarded > LINGER_MAX_BYTES:
            self._close_now()
        else:
            self._touch_idle_timer()

    def eof_received(self) -> None:
        if self.lingering:
            self._close_now()  # the client has sent everything: nothing unread, no reset

    def _touch_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._idle_timer = self.loop.call_later(LINGER_IDLE, self._close_now)

    def _close_now(self) -> None:
        self._cancel_timers()
        if self._raw_transport is not None:
            self._raw_transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._idle_timer, *self._linger_timers):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._idle_timer = None
        self._linger_timers.clear()


def http_protocol(*, header_timeout: float, linger_timeout: float) -> type[HedgerowHttpProtocol]:
    """The protocol class for uvicorn's `http=`, with these timeouts (seconds)."""
    attributes = {"header_timeout": header_timeout, "linger_timeout": linger_timeout}
    return type("ConfiguredHttpProtocol", (HedgerowHttpProtocol,), attributes)
