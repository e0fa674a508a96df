"""Build every component from settings and wire them into one ASGI application."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hedgerow.accounts.keys import PersonalKeys
from hedgerow.accounts.sessions import SessionStore, signed_in
from hedgerow.accounts.throttle import SignInThrottle
from hedgerow.accounts.users import UserStore, first_user
from hedgerow.actions import ActionStore
from hedgerow.api.accounts import AccountsApi
from hedgerow.api.actions import ActionsApi
from hedgerow.api.activity_log import ActivityLogApi
from hedgerow.api.cached_query import CachedQueries
from hedgerow.api.dashboards import DashboardsApi
from hedgerow.api.data_usage import DataUsageApi
from hedgerow.api.erasure import ErasureApi
from hedgerow.api.insights import InsightsApi
from hedgerow.api.instance_backup import InstanceBackupApi
from hedgerow.api.limits import QueryGate
from hedgerow.api.organization import OrganizationApi
from hedgerow.api.routes import Api
from hedgerow.app_tables.connection import close_app_tables, open_app_tables
from hedgerow.audit import SYSTEM, AuditLog
from hedgerow.capture.helpers import CaptureHelpers
from hedgerow.capture.prepare import PrepareLimits
from hedgerow.capture.routes import CaptureService, capture_routes
from hedgerow.clock import clock_from_setting
from hedgerow.cookieless.store import CookielessStore
from hedgerow.errors import HedgerowError
from hedgerow.geoip.database import open_geoip
from hedgerow.ingestion.postgres_bookkeeping import PostgresBookkeeping, adopt_local_buffer
from hedgerow.ingestion.state import IngestionState
from hedgerow.ingestion.steps.bots import BotDetector
from hedgerow.ingestion.steps.redact import redacted_keys
from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.insights.dashboards import DashboardStore
from hedgerow.insights.schema import SavedDb
from hedgerow.insights.store import InsightStore
from hedgerow.insights.templates import start_project
from hedgerow.intake.consumers import PartitionedConsumer, embedded_worker_id
from hedgerow.intake.jetstream import JetStreamIntakeLog, StreamLimits
from hedgerow.intake.log import IntakeLog
from hedgerow.intake.pressure import DiskSpace
from hedgerow.intake.sqlite import SqliteIntakeLog
from hedgerow.lifecycle.control import new_token
from hedgerow.lifecycle.job_audit import erasure_finished, retention_deleted
from hedgerow.lifecycle.jobs import ErasureJobs
from hedgerow.lifecycle.retention import RetentionRunner
from hedgerow.lifecycle.runner import ErasureRunner
from hedgerow.persons.groups import GroupStore, SqliteGroupStore
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.persons.store import PersonStore
from hedgerow.projects import Project, ProjectCatalog
from hedgerow.query.errors import limit_refusal
from hedgerow.query.result_cache import ResultCache
from hedgerow.settings import Settings
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryFailed, QueryLimits
from hedgerow.store.open_store import event_store_for
from hedgerow.store.upgrades import upgrade_stores
from hedgerow.web.app_routes import app_routes
from hedgerow.web.routes import web_routes
from hedgerow.web_analytics.daily_chore import WebDailyChore

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables

log = logging.getLogger(__name__)

# Ingestion allocates millions of short-lived dicts while large caches (persons) stay alive.
# With Python's default thresholds the cyclic collector walked those caches every few
# batches: 13-20% of the worker's time, for almost no cycles found (docs/benchmarks.md).
# Collection stays on, only rarer; what exists at start-up is never scanned again.
GC_THRESHOLDS = (100_000, 50, 100)


@dataclass
class Components:
    settings: Settings
    catalog: ProjectCatalog
    actions: ActionStore
    intake: IntakeLog
    persons: PersonStore
    events: ChdbEventStore
    worker: IngestionWorker
    project: Project
    new_api_key: str | None
    users: UserStore
    sessions: SessionStore
    personal_keys: PersonalKeys
    setup_token: str | None  # while no user exists: the one-time link's token
    saved: SavedDb  # saved insights and dashboards
    insights: InsightStore
    dashboards: DashboardStore
    # Insight query results (`clear(project_id)` when a project's data is erased).
    result_cache: ResultCache
    erasure: ErasureRunner
    retention: RetentionRunner
    audit_log: AuditLog
    app_tables: AppTables  # where the stores above keep their tables
    web_daily: WebDailyChore  # builds the web analytics pre-aggregate

    def close(self) -> None:
        self.web_daily.stop()
        self.retention.stop()
        self.erasure.stop()
        self.worker.stop()
        self.erasure.jobs.close()
        self.users.close()
        self.sessions.close()
        self.personal_keys.close()
        self.intake.close()
        self.worker.state.close()
        if self.worker.shared is not None:
            self.worker.shared.close()
        if self.worker.cookieless is not None:
            self.worker.cookieless.close()
        self.persons.close()
        self.worker.groups.close()
        self.events.close()
        self.actions.close()
        self.saved.close()
        self.audit_log.close()
        self.catalog.close()
        close_app_tables(self.app_tables)


def build_components(settings: Settings) -> Components:
    data_dir = settings.storage.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    tables = open_app_tables(settings)
    catalog = ProjectCatalog(tables)
    first_start = catalog.by_id(1) is None
    project, new_key = catalog.bootstrap(
        settings.bootstrap.project_token, settings.bootstrap.api_key
    )
    users = UserStore(tables)
    accounts = settings.accounts
    sessions = SessionStore(tables, accounts.session_days * 86_400)
    personal_keys = PersonalKeys(tables)
    bootstrap = settings.bootstrap
    audit_log = AuditLog(tables)
    had_users = users.count() > 0
    setup_token = first_user(users, bootstrap.admin_email, bootstrap.admin_password)
    if not had_users and users.count() > 0:  # the admin of HEDGEROW_ADMIN_EMAIL, made now
        admin = users.with_password(bootstrap.admin_email)
        audit_log.record(SYSTEM, "user_created", "User", admin[0].id if admin else None)
    actions = ActionStore(tables)
    saved = SavedDb(tables)
    if first_start:
        start_project(saved, project.id)
    intake = build_intake(settings)
    persons, groups = build_person_stores(settings)
    query = settings.query
    limits = QueryLimits(
        timeout=query.query_timeout,
        max_memory=query.query_max_memory,
        max_result_rows=query.query_max_result_rows,
        max_result_bytes=query.query_max_result_bytes,
        slow_seconds=query.slow_query_seconds,
    )
    events = event_store_for(settings, limits)
    upgrade_stores(persons, events)
    state = IngestionState(data_dir / "ingestion.sqlite3")
    pause_file = settings.ingestion.ingestion_pause_file
    clock = clock_from_setting(settings.server.test_clock_start)
    cookieless = CookielessStore(
        data_dir / "cookieless.sqlite3", clock, settings.ingestion.cookieless_max_lag
    )
    worker_intake, handover = partitioned(settings, intake)
    shared = shared_bookkeeping(settings)
    if shared is not None and isinstance(intake, JetStreamIntakeLog):  # an earlier version's
        adopt_local_buffer(state, shared, intake.partitions)
    worker = IngestionWorker(
        worker_intake,
        state,
        persons,
        events,
        groups,
        batch_size=settings.ingestion.batch_size,
        squash_interval=settings.ingestion.squash_interval,
        buffer_delay=settings.ingestion.buffer_delay,
        pause_file=Path(pause_file) if pause_file else None,
        redactions={p.id: redacted_keys(p) for p in catalog.all()},
        geoip=open_geoip(settings.ingestion.geoip_database),
        bots=BotDetector(),
        cookieless=cookieless,
        project_modes=lambda pid: _cookieless_mode(catalog, pid),
        handover=handover,
        shared=shared,
    )
    result_cache = ResultCache(query.query_cache_seconds)
    erasure = ErasureRunner(
        ErasureJobs(data_dir / "jobs.sqlite3"),
        persons,
        events,
        worker,
        intake,
        clear_cache=result_cache.clear,
        on_finished=erasure_finished(audit_log, catalog, SYSTEM),
    )
    retention = RetentionRunner(
        catalog,
        events,
        settings.storage.retention_interval,
        clear_cache=result_cache.clear,
        on_deleted=retention_deleted(audit_log, SYSTEM),
    )
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()
    return Components(
        settings,
        catalog,
        actions,
        intake,
        persons,
        events,
        worker,
        project,
        new_key,
        users,
        sessions,
        personal_keys,
        setup_token,
        saved,
        InsightStore(saved),
        DashboardStore(saved),
        result_cache,
        erasure,
        retention,
        audit_log,
        tables,
        WebDailyChore(catalog, events, settings.storage.web_aggregate_interval),
    )


def partitioned(
    settings: Settings, intake: IntakeLog
) -> tuple[IntakeLog, PartitionedConsumer | None]:
    """The worker's view of the intake: on JetStream, the partitions it holds (it joins the
    other workers when it starts); the embedded log as it is."""
    if not isinstance(intake, JetStreamIntakeLog):
        return intake, None
    embedded = not (settings.persons.persons_url and settings.storage.events_url)
    worker_id = embedded_worker_id(settings.storage.data_dir) if embedded else None
    consumer = PartitionedConsumer(intake, embedded=embedded, worker_id=worker_id)
    return consumer, consumer


def shared_bookkeeping(settings: Settings) -> PostgresBookkeeping | None:
    """The ingestion bookkeeping of several workers (the event buffer, counts, warnings) in
    PostgreSQL beside the persons, when the intake is a JetStream stream that workers share;
    else None: the worker keeps it in `ingestion.sqlite3`. Every process of an installation
    (`serve`, `ingest`, `web`) decides alike from the same URLs."""
    url = settings.persons.persons_url
    if not (url and settings.intake.intake_url):
        return None
    return PostgresBookkeeping(url)


def build_person_stores(settings: Settings) -> tuple[PersonStore, GroupStore]:
    """SQLite in the data directory, or PostgreSQL when `--persons-url` names a server."""
    persons = settings.persons
    if persons.persons_url:  # psycopg is imported only by installations that use it
        from hedgerow.persons.postgres import PostgresPersonStore
        from hedgerow.persons.postgres_groups import PostgresGroupStore

        return (
            PostgresPersonStore(persons.persons_url, persons.persons_pool_size),
            PostgresGroupStore(persons.persons_url, 2),
        )
    data_dir = settings.storage.data_dir
    return (
        SqlitePersonStore(data_dir / "persons.sqlite3"),
        SqliteGroupStore(data_dir / "groups.sqlite3"),
    )


def _cookieless_mode(catalog: ProjectCatalog, project_id: int) -> tuple[int, str] | None:
    project = catalog.by_id(project_id)
    return None if project is None else (project.cookieless_server_hash_mode, project.timezone)


def build_intake(settings: Settings) -> IntakeLog:
    """The embedded SQLite log, or JetStream when `--intake-url` names a NATS server."""
    intake = settings.intake
    if intake.intake_url:
        limits = StreamLimits(
            max_msgs=intake.intake_stream_max_msgs,
            max_bytes=intake.intake_stream_max_bytes,
            replicas=intake.intake_stream_replicas,
        )
        return JetStreamIntakeLog(
            intake.intake_url,
            limits=limits,
            max_lag=intake.intake_max_lag,
            partitions=intake.intake_partitions,
        )
    data_dir = settings.storage.data_dir
    return SqliteIntakeLog(
        data_dir / "intake.sqlite3",
        max_backlog=intake.intake_max_backlog,
        max_lag=intake.intake_max_lag,
        disk=DiskSpace(data_dir, settings.storage.min_free_disk),
    )


async def _error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HedgerowError)
    return Response(
        orjson.dumps(exc.as_json()), exc.status, headers=exc.headers, media_type="application/json"
    )


async def _query_failed_handler(request: Request, exc: Exception) -> Response:
    """A query stopped by a query limit is a 400 wherever it ran; any other error of the
    event store in SQL that Hedgerow built is Hedgerow's fault (the 500 below)."""
    assert isinstance(exc, QueryFailed)
    refusal = limit_refusal(exc)
    if refusal is None:
        return await _unexpected_handler(request, exc)
    return await _error_handler(request, refusal)


async def _unexpected_handler(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    body = {
        "status": 500,
        "code": "internal_error",
        "error": "Something went wrong on the server; the log has the details.",
    }
    return Response(orjson.dumps(body), 500, media_type="application/json")


def build_capture(
    settings: Settings, catalog: ProjectCatalog, intake: IntakeLog, on_append: Callable[[], None]
) -> tuple[CaptureService, CaptureHelpers | None]:
    """The capture endpoints' service and its helper processes (not started yet)."""
    prepare_limits = PrepareLimits(
        max_decompressed_size=settings.limits.max_decompressed_size,
        max_batch_events=settings.limits.max_batch_events,
        max_event_size=settings.limits.max_event_size,
        max_property_depth=settings.limits.max_property_depth,
    )
    processes = settings.server.capture_processes
    helpers = CaptureHelpers(processes, prepare_limits) if processes > 0 else None
    capture = CaptureService(
        catalog=catalog,
        intake=intake,
        on_append=on_append,
        trust_forwarded_for=settings.server.trust_forwarded_for,
        helpers=helpers,
        max_body_size=settings.limits.max_body_size,
        max_batch_body_size=settings.limits.max_batch_body_size,
        limits=prepare_limits,
        max_in_flight=settings.server.capture_max_in_flight,
        max_in_flight_bytes=settings.server.capture_max_in_flight_bytes,
        max_delay=settings.server.capture_max_delay,
        clock=clock_from_setting(settings.server.test_clock_start),
    )
    return capture, helpers


EXCEPTION_HANDLERS = {
    HedgerowError: _error_handler,
    QueryFailed: _query_failed_handler,
    Exception: _unexpected_handler,
}


def create_app(components: Components, *, capture_and_ingest: bool = True) -> Starlette:
    """Everything (`serve`), or without capture and ingestion: the query API and the web app
    alone (`hedgerow web`)."""
    settings = components.settings
    capture, helpers = build_capture(
        settings, components.catalog, components.intake, components.worker.wake
    )
    if not capture_and_ingest:
        helpers = None
    query_gate = QueryGate(components.settings.query.query_concurrency)
    results = CachedQueries(components.result_cache, components.actions.version)
    api = Api(
        components.catalog,
        components.persons,
        components.events,
        components.worker,
        actions=components.actions,
        query_gate=query_gate,
        results=results,
        on_retention_change=components.retention.wake,
        export_max_rows=components.settings.query.export_max_rows,
    )
    actions_api = ActionsApi(components.catalog, components.actions, components.events, query_gate)
    accounts_api = AccountsApi(
        components.catalog,
        components.users,
        components.sessions,
        SignInThrottle(settings.accounts.sign_in_max_failures, settings.accounts.sign_in_window),
        secure_cookies=settings.accounts.secure_cookies,
        trust_forwarded_for=settings.server.trust_forwarded_for,
    )
    organization_api = OrganizationApi(
        components.catalog, components.personal_keys, components.saved
    )
    saved = (components.catalog, components.insights, components.dashboards, components.users)
    insights_api = InsightsApi(*saved)
    dashboards_api = DashboardsApi(*saved)

    async def health(request: Request) -> Response:
        checks = {
            "intake": components.intake.healthy(),
            "ingestion": components.worker.alive or not capture_and_ingest,
            "event_store": components.events.healthy(),
        }
        ok = all(checks.values())
        body = {"status": "ok" if ok else "unavailable", "checks": checks}
        return Response(orjson.dumps(body), 200 if ok else 503, media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if helpers is not None:
            await helpers.start()
        if capture_and_ingest:  # erasure and retention work through the ingestion thread
            components.worker.start()
            components.erasure.start()
            components.retention.start()
            components.web_daily.start()
        api.definitions.start_keeping_up()
        try:
            yield
        finally:
            if helpers is not None:
                await helpers.close()
            api.definitions.stop()
            components.close()

    # `hedgerow backup` finds the server by its control file (written once it listens).
    control_token = new_token()
    backups = InstanceBackupApi(
        settings.storage.data_dir,
        components.events,
        lambda chore: components.worker.between_batches(chore).result(),
        control_token,
    )
    routes = [
        Route("/_health", health, methods=["GET"]),
        *(capture_routes(capture) if capture_and_ingest else []),
        *(backups.routes() if capture_and_ingest else []),
        *ErasureApi(components.catalog, components.persons, components.erasure).routes(
            "/api/projects/{project_id}"
        ),
        *DataUsageApi(
            components.catalog, components.persons, components.events, components.retention
        ).routes("/api/projects/{project_id}"),
        *api.routes(),
        *web_routes(components.project),
        *actions_api.routes(),
        *insights_api.routes(),
        *dashboards_api.routes(),
        *accounts_api.routes(),
        *organization_api.routes(),
        *ActivityLogApi(components.catalog, components.audit_log).routes(),
        *app_routes(signed_in=signed_in),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    # Read by `hedgerow.api.auth` and `hedgerow.accounts.sessions.signed_in`.
    app.state.sessions = components.sessions
    app.state.users = components.users
    app.state.control_token = control_token if capture_and_ingest else None
    app.state.audit_log = components.audit_log  # read by `hedgerow.api.auth.audit`
    return app
