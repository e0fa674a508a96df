"""The processes of a split installation: `hedgerow capture`, `hedgerow ingest` and
`hedgerow web`.

`hedgerow serve` runs capture, ingestion and the query API in one process. With the intake
log on NATS JetStream (`--intake-url`) capture can run apart: any number of `hedgerow capture`
processes take events and publish them to the stream. Ingestion workers (`hedgerow ingest`,
or the worker of `hedgerow serve`) share the stream's partitions (`intake/consumers.py`):
one with embedded stores, or any number with persons on PostgreSQL and events on a
ClickHouse server. The embedded intake log belongs to one process, so both commands need
`--intake-url`.

What holds today: capture reads project tokens from the app tables: `meta.sqlite3` in
`--data-dir` (SQLite allows readers in other processes), or PostgreSQL with `--persons-url`
(then capture runs on any machine); ingestion owns the rest of the data directory. The
embedded chDB event store can be opened by one process only, so with it the query API runs in
the process that ingests (`serve`), and `hedgerow web` only while no `serve` or `ingest` has
it. With the events on a ClickHouse server (`--events-url`) `hedgerow web` runs beside
`hedgerow ingest`.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hedgerow.app import (
    EXCEPTION_HANDLERS,
    Components,
    build_capture,
    build_components,
    build_intake,
)
from hedgerow.app_tables.connection import close_app_tables, open_app_tables
from hedgerow.capture.routes import capture_routes
from hedgerow.projects import ProjectCatalog
from hedgerow.settings import Settings
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryLimits
from hedgerow.store.open_store import event_store_for

log = logging.getLogger(__name__)


class SplitRefused(ValueError):
    """A split process asked for without the shared intake log it needs."""


def require_stream(settings: Settings, command: str) -> None:
    if not settings.intake.intake_url:
        raise SplitRefused(
            f"`hedgerow {command}` needs the intake log on NATS JetStream (--intake-url "
            "nats://host:port, or HEDGEROW_INTAKE_URL): the embedded intake log belongs to one "
            "process. Run `hedgerow serve` for everything in one process."
        )


def create_capture_app(settings: Settings) -> Starlette:
    """Capture endpoints only: decode, check the token, publish to the stream, answer."""
    require_stream(settings, "capture")
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    tables = open_app_tables(settings)
    catalog = ProjectCatalog(tables)
    intake = build_intake(settings)
    capture, helpers = build_capture(settings, catalog, intake, on_append=lambda: None)

    async def health(request: Request) -> Response:
        checks = {"intake": intake.healthy()}
        ok = all(checks.values())
        body = {"status": "ok" if ok else "unavailable", "checks": checks}
        return Response(orjson.dumps(body), 200 if ok else 503, media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if helpers is not None:
            await helpers.start()
        try:
            yield
        finally:
            if helpers is not None:
                await helpers.close()
            intake.close()
            catalog.close()
            close_app_tables(tables)

    routes = [Route("/_health", health, methods=["GET"]), *capture_routes(capture)]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS)


def open_components(settings: Settings, command: str) -> Components:
    """The stores of the data directory, or a clear refusal when another process (`serve`,
    `ingest` or `web`) already has the event store open: chDB allows one process."""
    try:
        return build_components(settings)
    except RuntimeError as exc:
        if "EmbeddedServer" not in str(exc):
            raise
        raise SplitRefused(
            f"`hedgerow {command}` cannot open the event store in "
            f"{settings.storage.data_dir / 'events.chdb'}: another process (hedgerow serve, "
            "ingest or web) has it open, and the embedded event store allows one. Stop it, "
            "or keep the events on a ClickHouse server (--events-url clickhouse://...)."
        ) from exc


def open_event_store(settings: Settings, command: str) -> ChdbEventStore:
    """The data directory's event store alone (within the query limits), or a refusal like
    `open_components`' when another process has it open."""
    query = settings.query
    limits = QueryLimits(timeout=0, max_memory=query.query_max_memory)
    try:
        return event_store_for(settings, limits)
    except RuntimeError as exc:
        if "EmbeddedServer" not in str(exc):
            raise
        raise SplitRefused(
            f"`hedgerow {command}` cannot open the event store in "
            f"{settings.storage.data_dir / 'events.chdb'}: another process (hedgerow serve, "
            "ingest or web) has it open, and the embedded event store allows one. Stop it "
            "and run the command again, or export through the running server's API "
            "(POST /api/projects/:id/exports/)."
        ) from exc


def run_ingest(settings: Settings) -> int:
    """The ingestion worker alone, until SIGTERM or SIGINT (it finishes its batch first)."""
    require_stream(settings, "ingest")
    components = open_components(settings, "ingest")
    stop = threading.Event()

    def on_signal(sig: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        components.worker.start()  # joins the other workers, or refuses (WorkerRefused)
    except BaseException:
        components.close()
        raise
    lines = [
        f"Hedgerow is ingesting from {settings.intake.intake_url}",
        f"  data directory:  {settings.storage.data_dir.resolve()}",
        f"  project token:   {components.project.token}",
    ]
    if components.new_api_key:
        lines.append(f"  personal API key: {components.new_api_key}")
    print("\n".join(lines), flush=True)
    code = 0
    while not stop.wait(1.0):
        if not components.worker.alive:
            log.error("the ingestion worker stopped; exiting")
            code = 1
            break
    components.close()
    return code
