"""The `hedgerow` command: `serve` runs the server (`capture`, `ingest` and `web` run its
parts as processes of their own), `project create` adds a project, `users` adds users and sets
their passwords, `persons delete` erases a person through the server, `export` writes events
to CSV, JSON lines or Parquet, `import` reads them back (or PostHog's batch exports),
`backup` and `restore` copy a data directory."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn

from hedgerow import __version__
from hedgerow.app_tables.connection import close_app_tables, open_app_tables
from hedgerow.app_tables.migrate_command import add_migrate_command
from hedgerow.export.command import add_export_command
from hedgerow.imports.command import add_import_command
from hedgerow.lifecycle.backup_command import add_backup_commands
from hedgerow.lifecycle.command import add_persons_commands
from hedgerow.lifecycle.control import Control, remove_control, write_control
from hedgerow.serving.deadline import BodyDeadline
from hedgerow.serving.headers import SecurityHeaders
from hedgerow.serving.memory import HeapTrimmer, fix_mmap_threshold, limit_malloc_arenas
from hedgerow.serving.protocol import http_protocol
from hedgerow.settings import Settings, SettingsError, add_arguments

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from hedgerow.accounts.users import UserStore
    from hedgerow.app import Components
    from hedgerow.app_tables.connection import AppTables
    from hedgerow.projects import ProjectCatalog


def _load_settings(args: argparse.Namespace) -> Settings | None:
    try:
        settings = Settings.load(vars(args))
    except SettingsError as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    limit_malloc_arenas()  # before the stores start their threads
    fix_mmap_threshold(settings.server.malloc_mmap_threshold)
    return settings


def _serve(args: argparse.Namespace) -> int:
    from hedgerow.accounts.users import FirstUserError
    from hedgerow.app import build_components, create_app
    from hedgerow.intake.jetstream import IntakeUnreachable
    from hedgerow.postgres import PostgresUnavailable

    settings = _load_settings(args)
    if settings is None:
        return 2
    try:
        components = build_components(settings)
    except (FirstUserError, IntakeUnreachable, PostgresUnavailable, SettingsError) as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 2
    app = create_app(components)
    data_dir = settings.storage.data_dir
    token: str = app.state.control_token

    def started(server: uvicorn.Server) -> None:
        _print_banner(components, server)
        host = "127.0.0.1" if settings.server.host in ("0.0.0.0", "::") else settings.server.host
        url = f"http://{host}:{_listening_port(server, settings)}"
        write_control(data_dir, Control(os.getpid(), url, token))

    try:
        return _run_http(settings, app, started)
    finally:
        remove_control(data_dir, token)


def _capture(args: argparse.Namespace) -> int:
    from hedgerow.intake.jetstream import IntakeUnreachable
    from hedgerow.processes import SplitRefused, create_capture_app

    settings = _load_settings(args)
    if settings is None:
        return 2
    try:
        app = create_capture_app(settings)
    except (SplitRefused, IntakeUnreachable, SettingsError) as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 2

    def banner(server: uvicorn.Server) -> None:
        base = f"http://{settings.server.host}:{_listening_port(server, settings)}"
        print(f"Hedgerow capture is serving on {base}/e/ into {settings.intake.intake_url}")

    return _run_http(settings, app, banner)


def _ingest(args: argparse.Namespace) -> int:
    from hedgerow.intake.jetstream import IntakeUnreachable
    from hedgerow.postgres import PostgresUnavailable
    from hedgerow.processes import SplitRefused, run_ingest

    settings = _load_settings(args)
    if settings is None:
        return 2
    try:
        return run_ingest(settings)
    except (SplitRefused, IntakeUnreachable, PostgresUnavailable, SettingsError) as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 2


def _web(args: argparse.Namespace) -> int:
    from hedgerow.accounts.users import FirstUserError
    from hedgerow.app import create_app
    from hedgerow.intake.jetstream import IntakeUnreachable
    from hedgerow.postgres import PostgresUnavailable
    from hedgerow.processes import SplitRefused, open_components

    settings = _load_settings(args)
    if settings is None:
        return 2
    try:
        components = open_components(settings, "web")
    except (
        FirstUserError,
        IntakeUnreachable,
        SplitRefused,
        PostgresUnavailable,
        SettingsError,
    ) as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 2
    app = create_app(components, capture_and_ingest=False)
    return _run_http(settings, app, lambda s: _print_banner(components, s, capture=False))


def _run_http(
    settings: Settings, asgi: Starlette, on_started: Callable[[uvicorn.Server], None]
) -> int:
    app = SecurityHeaders(BodyDeadline(asgi, settings.server.body_timeout))
    protocol = http_protocol(
        header_timeout=settings.server.header_timeout,
        # A client answered early may finish sending for as long as a body may take.
        linger_timeout=settings.server.body_timeout,
    )
    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        http=protocol,
        access_log=False,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    server = _Server(config, on_started)
    trimmer = HeapTrimmer(settings.server.heap_trim_interval)
    trimmer.start()
    try:
        server.run()
    finally:
        trimmer.stop()
    return 0


def _listening_port(server: uvicorn.Server, settings: Settings) -> int:
    port = settings.server.port
    for s in getattr(server, "servers", []):
        for sock in s.sockets:
            port = sock.getsockname()[1]
    return int(port)


class _Server(uvicorn.Server):
    """uvicorn's server, printing the banner once listening and exiting 0 on SIGTERM/SIGINT.

    (uvicorn re-raises a captured stop signal after its graceful shutdown, which would make a
    requested, clean stop look like a crash to supervisors and scripts.)
    """

    def __init__(self, config: uvicorn.Config, on_started: Callable[[uvicorn.Server], None]):
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            self._on_started(self)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def _print_banner(components: Components, server: uvicorn.Server, *, capture: bool = True) -> None:
    host = components.settings.server.host
    base = f"http://{host}:{_listening_port(server, components.settings)}"
    lines = [
        f"Hedgerow {__version__} is serving on {base}",
        f"  data directory:  {components.settings.storage.data_dir.resolve()}",
        *([f"  capture URL:     {base}/e/  (api_host for SDKs: {base})"] if capture else []),
        f"  project token:   {components.project.token}",
    ]
    if components.new_api_key:
        lines.append(f"  personal API key: {components.new_api_key}")
    else:
        lines.append(
            "  personal API key: printed on first start (or create one: hedgerow project key)"
        )
    if components.setup_token:
        lines.append(f"  set up:           {base}/setup?token={components.setup_token}")
    print("\n".join(lines), flush=True)


def _project_create(args: argparse.Namespace) -> int:
    from hedgerow.insights.schema import SavedDb
    from hedgerow.insights.templates import start_project
    from hedgerow.projects import ProjectCatalog, valid_timezone

    if not valid_timezone(args.timezone):
        print(
            f"hedgerow: {args.timezone!r} is not a time zone (e.g. UTC, Europe/Paris)",
            file=sys.stderr,
        )
        return 2
    settings = Settings.load({"data_dir": Path(args.data_dir) if args.data_dir else None})
    tables = open_app_tables(settings)
    catalog = ProjectCatalog(tables)
    project = catalog.create_project(args.name, timezone=args.timezone)
    saved = SavedDb(tables)
    start_project(saved, project.id)
    saved.close()
    key = catalog.create_api_key([project.id], f"for project {project.id}")
    _audit_cli(
        tables,
        project.organization_id,
        project.id,
        "project_created",
        "Project",
        project.id,
        name=project.name,
        timezone=project.timezone,
    )
    _audit_new_key(tables, catalog, key)
    print(f"project id:       {project.id}")
    print(f"project token:    {project.token}")
    print(f"time zone:        {project.timezone}")
    print(f"personal API key: {key}")
    catalog.close()
    close_app_tables(tables)
    return 0


def _project_key(args: argparse.Namespace) -> int:
    from hedgerow.projects import ProjectCatalog

    settings = Settings.load({"data_dir": Path(args.data_dir) if args.data_dir else None})
    tables = open_app_tables(settings)
    catalog = ProjectCatalog(tables)
    try:
        ids = [p.id for p in catalog.all()] if args.project is None else [args.project]
        if not ids or any(catalog.by_id(i) is None for i in ids):
            print("hedgerow: no such project; start the server once first", file=sys.stderr)
            return 1
        key = catalog.create_api_key(ids, "from the command line")
        _audit_new_key(tables, catalog, key)
    finally:
        catalog.close()
        close_app_tables(tables)
    print(key)
    return 0


def _read_password(args: argparse.Namespace) -> str | None:
    """The new password (stdin's first line with --password-stdin, else typed twice), or
    None, the reason printed, when it cannot be used."""
    from hedgerow.accounts.passwords import password_problem

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            print("hedgerow: the passwords differ", file=sys.stderr)
            return None
    if problem := password_problem(password):
        print(f"hedgerow: {problem}", file=sys.stderr)
        return None
    return password


def _settings_of(args: argparse.Namespace) -> Settings:
    return Settings.load({"data_dir": Path(args.data_dir) if args.data_dir else None})


def _audit_cli(
    tables: AppTables, organization_id: int, project_id: int | None, *args: Any, **detail: Any
) -> None:
    """Record in the installation's audit log what this command did (actor `cli`)."""
    from hedgerow.audit import CLI, AuditLog

    log = AuditLog(tables)
    try:
        log.record(CLI, *args, project_id=project_id, organization_id=organization_id, **detail)
    finally:
        log.close()


def _audit_new_key(tables: AppTables, catalog: ProjectCatalog, key: str) -> None:
    access = catalog.key_access(key)
    if access is not None:
        _audit_cli(
            tables,
            access.organization_id,
            None,
            "personal_key_created",
            "PersonalAPIKey",
            access.key_id,
            label=access.label,
        )


def _open_users(args: argparse.Namespace) -> tuple[AppTables, UserStore]:
    from hedgerow.accounts.users import UserStore
    from hedgerow.projects import ProjectCatalog

    tables = open_app_tables(_settings_of(args))
    ProjectCatalog(tables).close()  # creates the default organization in a new directory
    return tables, UserStore(tables)


def _users_add(args: argparse.Namespace) -> int:
    from hedgerow.accounts.passwords import hash_password
    from hedgerow.accounts.users import UserExists, email_problem

    if problem := email_problem(args.email):
        print(f"hedgerow: {problem}", file=sys.stderr)
        return 2
    password = _read_password(args)
    if password is None:
        return 2
    tables, users = _open_users(args)
    try:
        user = users.create(args.email, hash_password(password))
        _audit_cli(tables, user.organization_id, None, "user_created", "User", user.id)
    except UserExists as exc:
        print(f"hedgerow: {exc} Use `hedgerow users set-password`.", file=sys.stderr)
        return 1
    finally:
        users.close()
        close_app_tables(tables)
    print(f"user {user.email} added (organization {user.organization_id}); sign in at /login")
    return 0


def _users_set_password(args: argparse.Namespace) -> int:
    from hedgerow.accounts.passwords import hash_password
    from hedgerow.accounts.sessions import SessionStore

    password = _read_password(args)
    if password is None:
        return 2
    tables, users = _open_users(args)
    sessions = SessionStore(tables, lifetime=0)
    try:
        user = users.set_password(args.email, hash_password(password))
        if user is None:
            print(f"hedgerow: no user has the email {args.email!r}", file=sys.stderr)
            return 1
        sessions.end_all(user.id)  # whoever knew the old password is signed out
        _audit_cli(tables, user.organization_id, None, "password_changed", "User", user.id)
    finally:
        sessions.close()
        users.close()
        close_app_tables(tables)
    print(f"password of {user.email} changed; its sessions are signed out")
    return 0


def _add_users_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser("users", help="Manage the users who sign in to the web app.")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    for name, func, what in (
        ("add", _users_add, "Add a user (to the default organization)."),
        ("set-password", _users_set_password, "Set a user's password; ends their sessions."),
    ):
        command = users_commands.add_parser(name, help=what)
        command.add_argument("email")
        command.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input's first line instead of a prompt.",
        )
        command.add_argument("--data-dir", dest="data_dir", default=None)
        command.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hedgerow", description="Self-hosted product analytics.")
    parser.add_argument("--version", action="version", version=f"hedgerow {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="Run the server (capture, ingestion, API).")
    add_arguments(serve)
    serve.set_defaults(func=_serve)
    capture = commands.add_parser(
        "capture",
        help="Run capture only (needs --intake-url): many may run, beside `ingest` or `serve`.",
    )
    add_arguments(capture)
    capture.set_defaults(func=_capture)
    ingest = commands.add_parser(
        "ingest",
        help="Run an ingestion worker only (needs --intake-url), with no HTTP server; several "
        "share the work with --persons-url and --events-url.",
    )
    add_arguments(ingest)
    ingest.set_defaults(func=_ingest)
    web = commands.add_parser(
        "web",
        help="Run the query API and the web app only (no capture, no ingestion); today only "
        "while no serve or ingest has the data directory's event store open.",
    )
    add_arguments(web)
    web.set_defaults(func=_web)

    project = commands.add_parser("project", help="Manage projects and API keys.")
    project_commands = project.add_subparsers(dest="project_command", required=True)
    create = project_commands.add_parser("create", help="Create a project and a key for it.")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--timezone",
        default="UTC",
        help="IANA time zone the project's days are counted in (default UTC).",
    )
    create.add_argument("--data-dir", dest="data_dir", default=None)
    create.set_defaults(func=_project_create)
    key = project_commands.add_parser("key", help="Create a personal API key.")
    key.add_argument("--project", type=int, default=None, help="Only this project (default all).")
    key.add_argument("--data-dir", dest="data_dir", default=None)
    key.set_defaults(func=_project_key)
    _add_users_commands(commands)
    add_persons_commands(commands)
    add_export_command(commands)
    add_backup_commands(commands)
    add_import_command(commands)
    add_migrate_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from hedgerow.postgres import PostgresUnavailable

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PostgresUnavailable as exc:  # a command whose tables are on an unreachable server
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 1
