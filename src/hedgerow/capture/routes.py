"""Capture's HTTP endpoints: every path PostHog SDKs send events to, and the config handshake.

A request is read with a size cap, decoded, normalized, checked against the projects and
appended to the intake log; the answer is 200 `{"status": 1}` only once the append is
durable. Any error answers with nothing of the request accepted.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.capture.helpers import HELPER_MIN_BYTES, CaptureHelpers
from hedgerow.capture.prepare import DEFAULT_LIMITS, Prepared, PrepareLimits, RequestFacts, prepare
from hedgerow.clock import Clock
from hedgerow.errors import (
    BadRequest,
    HedgerowError,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthorized,
)
from hedgerow.intake.log import IntakeLog
from hedgerow.projects import ProjectCatalog

CAPTURE_PATHS = ("/e", "/i/v0/e", "/capture", "/track", "/engage", "/batch")
LEGACY_PATHS = ("/e", "/capture", "/engage", "/track")
METHODS = ["GET", "POST", "OPTIONS"]

REMOTE_CONFIG: dict[str, Any] = {
    "supportedCompression": ["gzip", "gzip-js"],
    "autocapture_opt_out": False,
    "autocaptureExceptions": False,
    "elementsChainAsString": True,
    "analytics": {"endpoint": "/e/"},
    "hasFeatureFlags": False,
    "defaultIdentifiedOnly": True,
    "sessionRecording": False,
    "capturePerformance": False,
    "heatmaps": False,
    "captureDeadClicks": False,
    "surveys": False,
    "productTours": False,
    "conversations": False,
    "siteApps": [],
    "toolbarParams": {},
    "isAuthenticated": False,
}
NO_FLAGS: dict[str, Any] = {
    "flags": {},
    "featureFlags": {},
    "featureFlagPayloads": {},
    "errorsWhileComputingFlags": False,
}

OK_BODY = b'{"status":1}'
# An answer given before the whole body was read closes the connection: the rest of the body
# is discarded by the server's lingering close (hedgerow/serving/protocol.py), never parsed.
CLOSE = {"Connection": "close"}


def cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    headers = {
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Max-Age": "86400",
        "Vary": "Origin",
    }
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Credentials"] = "true"
    else:
        headers["Access-Control-Allow-Origin"] = "*"
    requested = request.headers.get("access-control-request-headers")
    headers["Access-Control-Allow-Headers"] = requested or "Content-Type"
    return headers


def json_response(request: Request, body: Any, status: int = 200) -> Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(
        content, status_code=status, media_type="application/json", headers=cors_headers(request)
    )


# Below this many requests in flight, capture never refuses for delay: a few slow requests
# are a stall, not a queue.
DELAY_SHEDDING_FLOOR = 100


@dataclass
class _Slot:
    """One capture request being handled: the body bytes it holds."""

    key: int
    held: int = 0


def _busy(reason: str, headers: dict[str, str] | None = None) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"{reason} Retry after the Retry-After seconds.",
        code="capture_busy",
        retry_after=1,
        headers=headers,
    )


@dataclass
class CaptureService:
    catalog: ProjectCatalog
    intake: IntakeLog
    on_append: Callable[[], None]
    trust_forwarded_for: bool = False
    helpers: CaptureHelpers | None = None
    max_body_size: int = 2 * 1024**2  # every capture path but /batch
    max_batch_body_size: int = 20 * 1024**2
    limits: PrepareLimits = DEFAULT_LIMITS
    max_in_flight: int = 1000
    max_in_flight_bytes: int = 256 * 1024**2
    max_delay: float = 2.0
    clock: Clock = time.time  # capture times (a test clock moves them: hedgerow/clock.py)
    _in_flight: int = field(default=0, init=False)
    _held_bytes: int = field(default=0, init=False)
    # Requests whose body is complete, by the time it was, oldest first (dicts keep order).
    _received: dict[int, float] = field(default_factory=dict, init=False)
    _next_key: int = field(default=0, init=False)
    _decode_limiter: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(1), init=False
    )

    def client_ip(self, request: Request) -> str | None:
        if self.trust_forwarded_for:
            forwarded = request.headers.get("x-forwarded-for")
            if forwarded:
                return forwarded.split(",")[0].strip()
        return request.client.host if request.client else None

    async def read_body(self, request: Request, limit: int, slot: _Slot) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit():
            if int(declared) > limit:
                raise PayloadTooLarge(
                    f"The body is {declared} bytes; this endpoint takes at most {limit}. "
                    "Send smaller batches.",
                    headers=CLOSE,
                )
            self._hold(slot, int(declared))
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(
                    f"The body is over {limit} bytes, the most this endpoint takes. "
                    "Send smaller batches.",
                    headers=CLOSE,
                )
            if size > slot.held:
                self._hold(slot, size - slot.held)
            chunks.append(chunk)
        return b"".join(chunks)

    def _hold(self, slot: _Slot, size: int) -> None:
        """Count `size` more body bytes as held in memory, or refuse the request."""
        if self._held_bytes + size > self.max_in_flight_bytes:
            raise _busy(
                f"The capture requests being handled already hold {self._held_bytes} bytes of "
                f"bodies, the most the server keeps at once (--capture-max-in-flight-bytes).",
                headers=CLOSE,
            )
        self._held_bytes += size
        slot.held += size

    async def capture(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return json_response(request, OK_BODY)
        # Under backpressure, refuse before reading and decoding: overload costs little.
        self.intake.check_pressure()
        self._admit()
        self._in_flight += 1
        self._next_key += 1
        slot = _Slot(self._next_key)
        try:
            return await self._capture(request, slot)
        finally:
            self._in_flight -= 1
            self._held_bytes -= slot.held
            self._received.pop(slot.key, None)

    def _admit(self) -> None:
        """Refuse a new request when the server is behind: its requests wait for an answer
        longer than `max_delay` (a queue that outlasts a stall), or too many are open."""
        if self._in_flight >= self.max_in_flight:
            raise _busy(
                f"The server is already handling {self._in_flight} capture requests, the "
                "most it takes at once (--capture-max-in-flight)."
            )
        if self._in_flight < DELAY_SHEDDING_FLOOR or not self._received:
            return
        waited = time.monotonic() - next(iter(self._received.values()))
        if waited > self.max_delay:
            raise _busy(
                f"Capture requests received {waited:.1f} s ago still wait for their answer "
                f"(more than --capture-max-delay {self.max_delay:g} s): the server is behind."
            )

    async def _capture(self, request: Request, slot: _Slot) -> Response:
        path = request.url.path.rstrip("/") or "/"
        limit = self.max_batch_body_size if path == "/batch" else self.max_body_size
        body = await self.read_body(request, limit, slot)
        self._received[slot.key] = time.monotonic()
        facts = RequestFacts(
            query=_capture_query(request),
            content_type=request.headers.get("content-type"),
            content_encoding=request.headers.get("content-encoding"),
            legacy_path=path in LEGACY_PATHS,
            engage=path == "/engage",
            ip=self.client_ip(request),
            received_at=self.clock(),
        )
        prepared = await self._prepare(body, facts)
        project = self.catalog.by_token(prepared.token)
        if project is None:
            raise Unauthorized(
                "The project token is not known to this instance. Check the token printed by "
                "`hedgerow serve` (or HEDGEROW_PROJECT_TOKEN).",
                code="invalid_token",
            )
        await self.intake.append(project.id, prepared.count, prepared.payload)
        self.on_append()
        # Always 200, beacons too: posthog-js retries any other status, 204 included.
        return json_response(request, OK_BODY)

    async def _prepare(self, body: bytes, facts: RequestFacts) -> Prepared:
        if len(body) < HELPER_MIN_BYTES:
            return prepare(body, facts, self.limits)
        if self.helpers is not None:
            return await self.helpers.prepare(body, facts)
        # Without helpers: one thread for big bodies keeps the event loop answering without
        # adding many threads that compete with ingestion for the GIL.
        return await anyio.to_thread.run_sync(
            prepare, body, facts, self.limits, limiter=self._decode_limiter
        )

    async def remote_config(self, request: Request) -> Response:
        return json_response(request, REMOTE_CONFIG)

    async def remote_config_js(self, request: Request) -> Response:
        token = request.path_params["token"]
        config = orjson.dumps({"config": REMOTE_CONFIG, "siteApps": []}).decode()
        script = (
            "(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};"
            f"window._POSTHOG_REMOTE_CONFIG[{orjson.dumps(token).decode()}]={config};}})();"
        )
        return Response(script, media_type="application/javascript", headers=cors_headers(request))

    async def flags(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return json_response(request, OK_BODY)
        body = dict(NO_FLAGS)
        if request.url.path.startswith("/decide") or request.query_params.get("config"):
            body.update(REMOTE_CONFIG)
        return json_response(request, body)


def _capture_query(request: Request) -> dict[str, str]:
    """The query parameters; a `data` parameter that is not UTF-8 is refused as a body would
    be (Starlette replaces such bytes with U+FFFD, which would store a changed event)."""
    query = dict(request.query_params)
    if "\ufffd" in query.get("data", ""):
        raw = parse_qsl(request.scope["query_string"].decode("latin-1"), encoding="latin-1")
        try:
            dict(raw).get("data", "").encode("latin-1").decode("utf-8")
        except UnicodeDecodeError as err:
            raise BadRequest(
                f"The `data` query parameter is not valid UTF-8 ({err}). Percent-encode the "
                "UTF-8 bytes of the JSON text.",
                code="request_decoding_error",
            ) from None
    return query


def _guard(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Answer errors from capture routes with CORS headers so browsers can read them."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except HedgerowError as error:
            response = json_response(request, error.as_json(), error.status)
            response.headers.update(error.headers)
            return response

    return guarded


def capture_routes(service: CaptureService) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for path in CAPTURE_PATHS:
        for variant in (path, path + "/"):
            routes.append(Route(variant, _guard(service.capture), methods=METHODS))
    for path in ("/flags", "/decide"):
        for variant in (path, path + "/"):
            routes.append(Route(variant, _guard(service.flags), methods=METHODS))
    routes.append(Route("/array/{token}/config", service.remote_config, methods=["GET"]))
    routes.append(Route("/array/{token}/config.js", service.remote_config_js, methods=["GET"]))
    return routes
