"""Every setting, declared once: its section, name, parser, default and help text.

`hedgerow.settings` builds the CLI flags, the `HEDGEROW_*` variable names and the typed
settings object from this table, and `docs/settings.md` lists it (a test fails when the doc
misses one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hedgerow.clock import parse_instant


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {text!r}")


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise ValueError("must be zero or more")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be zero or more")
    return value


def _instant(text: str) -> str:
    if text.strip():
        parse_instant(text)  # refuses what it cannot read
    return text.strip()


_SIZE_UNITS = {"": 1, "b": 1, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def _size(text: str) -> int:
    """A size in bytes: `2097152`, `2MiB`, `512 KiB`, `1GiB`."""
    stripped = text.strip().lower()
    number = stripped.rstrip("abcdefghijklmnopqrstuvwxyz ").strip()
    unit = stripped[len(number) :].strip()
    if unit not in _SIZE_UNITS or not number.isdigit():
        raise ValueError("expected a size in bytes, or with KiB, MiB or GiB (e.g. 2MiB)")
    value = int(number) * _SIZE_UNITS[unit]
    if value <= 0:
        raise ValueError("must be more than zero")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError("must be more than zero")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError("must be between 0 and 65535")
    return value


def _intake_url(text: str) -> str:
    """Empty (the embedded log) or nats://host:port (several servers: comma-separated)."""
    url = text.strip()
    if url and not all(part.strip().startswith(("nats://", "tls://")) for part in url.split(",")):
        raise ValueError("expected nats://host:port (or empty for the embedded SQLite log)")
    return url


def _persons_url(text: str) -> str:
    """Empty (the embedded SQLite stores) or postgresql://user:password@host:port/database."""
    url = text.strip()
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(
            "expected postgresql://user@host:port/database (or empty for embedded SQLite)"
        )
    return url


def _events_url(text: str) -> str:
    """Empty (the embedded chDB store) or clickhouse://user:password@host:port (HTTP)."""
    url = text.strip()
    if url and not url.startswith(("clickhouse://", "clickhouses://")):
        raise ValueError(
            "expected clickhouse://user:password@host:port, the server's HTTP interface "
            "(or empty for the embedded chDB store)"
        )
    return url


@dataclass(frozen=True)
class Option:
    section: str
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str

    @property
    def env(self) -> str:
        return f"HEDGEROW_{self.name.upper()}"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


OPTIONS: tuple[Option, ...] = (
    Option("server", "host", str, "127.0.0.1", "Address the HTTP server listens on."),
    Option("server", "port", _port, 8000, "Port the HTTP server listens on (0 picks a free one)."),
    Option(
        "server",
        "trust_forwarded_for",
        _bool,
        False,
        "Take the client IP from X-Forwarded-For (only behind a proxy you run).",
    ),
    Option(
        "server",
        "capture_processes",
        _non_negative_int,
        1,
        "Helper processes that decode and normalize big capture bodies, so that capture and "
        "ingestion do not share one GIL (0: all in the server process).",
    ),
    Option(
        "server",
        "capture_max_in_flight",
        _positive_int,
        1000,
        "Capture requests handled at once; one more answers 503 capture_busy at once.",
    ),
    Option(
        "server",
        "capture_max_in_flight_bytes",
        _size,
        256 * 1024**2,
        "Body bytes the capture requests being handled may hold together; past it 503 "
        "capture_busy.",
    ),
    Option(
        "server",
        "capture_max_delay",
        _positive_float,
        2.0,
        "Seconds a received capture request may wait for its answer; while one has waited "
        "longer (and 100 or more are in flight), new ones answer 503 capture_busy.",
    ),
    Option(
        "server",
        "heap_trim_interval",
        _non_negative_float,
        30.0,
        "Seconds between handing the heap's free pages back to the system (0: never).",
    ),
    Option(
        "server",
        "malloc_mmap_threshold",
        _non_negative_int,
        128 * 1024,
        "Bytes from which a heap block is mapped on its own and unmapped when freed (0: glibc's "
        "moving threshold).",
    ),
    Option(
        "server",
        "header_timeout",
        _positive_float,
        10.0,
        "Seconds a client may take to send a request's headers; then the connection is closed.",
    ),
    Option(
        "server",
        "body_timeout",
        _positive_float,
        30.0,
        "Seconds a client may take to send a request's body; then it is answered 408.",
    ),
    Option(
        "server",
        "test_clock_start",
        _instant,
        "",
        "For tests only: an ISO 8601 instant (2026-03-10T13:00:00Z) where the clock of capture "
        "times and cookieless salts starts at start-up; empty: the real time.",
    ),
    Option(
        "limits",
        "max_body_size",
        _size,
        2 * 1024**2,
        "Largest capture body (every capture path but /batch); past it 413.",
    ),
    Option(
        "limits",
        "max_batch_body_size",
        _size,
        20 * 1024**2,
        "Largest capture body on /batch; past it 413.",
    ),
    Option(
        "limits",
        "max_decompressed_size",
        _size,
        100 * 1024**2,
        "Largest capture payload once decompressed (stops gzip bombs); past it 413.",
    ),
    Option(
        "limits",
        "max_batch_events",
        _positive_int,
        10_000,
        "Most events one capture request may carry; past it 413.",
    ),
    Option(
        "limits",
        "max_event_size",
        _size,
        1024**2,
        "Largest single event (its JSON); past it the request is refused with 413.",
    ),
    Option(
        "limits",
        "max_property_depth",
        _positive_int,
        64,
        "Deepest nesting of objects and arrays inside an event's properties; past it 400.",
    ),
    Option(
        "query",
        "query_timeout",
        _positive_float,
        30.0,
        "Seconds a query may run; past it 400 query_timeout.",
    ),
    Option(
        "query",
        "slow_query_seconds",
        _non_negative_float,
        10.0,
        "An API query that runs longer is logged as a warning with its time, rows read and "
        "SQL; 0 logs none.",
    ),
    Option(
        "query",
        "query_max_memory",
        _size,
        4 * 1024**3,
        "Memory one query may use in the event store; past it 400 query_memory_limit.",
    ),
    Option(
        "query",
        "query_max_result_rows",
        _positive_int,
        1_000_000,
        "Most rows a query may return; past it 400 query_result_too_large.",
    ),
    Option(
        "query",
        "query_max_result_bytes",
        _size,
        256 * 1024**2,
        "Most bytes a query's result may take; past it 400 query_result_too_large.",
    ),
    Option(
        "query",
        "export_max_rows",
        _positive_int,
        100_000_000,
        "Most rows one export (POST /exports/, hedgerow export) may write; a larger one is "
        "refused (400 export_too_large) before any row is written.",
    ),
    Option(
        "query",
        "query_concurrency",
        _positive_int,
        4,
        "Queries one project may run at once; past it 429 too_many_queries.",
    ),
    Option(
        "query",
        "query_cache_seconds",
        _non_negative_float,
        300.0,
        "Seconds an insight query's result is answered from the cache; 0 turns it off.",
    ),
    Option("storage", "data_dir", Path, Path("hedgerow-data"), "Directory holding all data."),
    Option(
        "storage",
        "events_url",
        _events_url,
        "",
        "Events: empty for chDB in the data directory, or clickhouse://user:pass@host:8123 .",
    ),
    Option(
        "storage",
        "min_free_disk",
        _size,
        256 * 1024**2,
        "Free space the data directory's disk must keep; below it capture answers 503.",
    ),
    Option(
        "storage",
        "retention_interval",
        _positive_float,
        3600.0,
        "Seconds between deletions of events past their project's retention period.",
    ),
    Option(
        "storage",
        "web_aggregate_interval",
        _non_negative_float,
        60.0,
        "Seconds between builds of the web analytics pre-aggregate's days; 0 turns it off.",
    ),
    Option(
        "ingestion",
        "buffer_delay",
        _non_negative_float,
        60.0,
        "Seconds the event buffer holds back events of unknown identified users (0 disables).",
    ),
    Option(
        "ingestion",
        "batch_size",
        _positive_int,
        20_000,
        "Most events the ingestion worker takes from the intake log per store insert.",
    ),
    Option(
        "ingestion",
        "squash_interval",
        _non_negative_float,
        600.0,
        "Seconds between rewrites of stored events after person merges (0 disables).",
    ),
    Option(
        "ingestion",
        "ingestion_pause_file",
        str,
        "",
        "While a file exists at this path, ingestion takes no new batches (maintenance, tests).",
    ),
    Option(
        "ingestion",
        "geoip_database",
        str,
        "",
        "MaxMind DB file(s) for GeoIP at ingestion, comma-separated (e.g. a newer DB-IP City "
        "Lite or GeoLite2 City); empty: the DB-IP database `make` installs; off: no GeoIP.",
    ),
    Option(
        "ingestion",
        "cookieless_max_lag",
        _non_negative_float,
        72 * 3600.0,
        "Seconds after a day has ended everywhere on Earth during which cookieless events of "
        "that day are still hashed; then the day's salt is destroyed (docs/web-analytics.md).",
    ),
    Option(
        "intake",
        "intake_url",
        _intake_url,
        "",
        "The intake log: empty for the embedded SQLite log, or nats://host:port for JetStream.",
    ),
    Option(
        "intake",
        "intake_stream_max_msgs",
        _positive_int,
        1_000_000,
        "Most unprocessed entries the JetStream stream holds; past it capture answers 503.",
    ),
    Option(
        "intake",
        "intake_stream_max_bytes",
        _size,
        1024**3,
        "Most bytes of unprocessed entries the JetStream stream holds; past it, capture: 503.",
    ),
    Option(
        "intake",
        "intake_stream_replicas",
        _positive_int,
        1,
        "JetStream only: replicas of the intake stream and its offsets (3 in a cluster).",
    ),
    Option(
        "intake",
        "intake_partitions",
        _positive_int,
        12,
        "JetStream only: partitions of the intake stream (fixed once it is in use); at most "
        "this many ingestion workers share it.",
    ),
    Option(
        "intake",
        "intake_max_backlog",
        _positive_int,
        5_000_000,
        "Most unprocessed events the intake log holds; past it capture answers 503.",
    ),
    Option(
        "intake",
        "intake_max_lag",
        _positive_float,
        300.0,
        "Seconds the oldest unprocessed event may wait; past it capture answers 503.",
    ),
    Option(
        "persons",
        "persons_url",
        _persons_url,
        "",
        "Persons, groups and the app's tables (users, projects, ...): empty for SQLite in the "
        "data directory, or postgresql://... .",
    ),
    Option(
        "persons",
        "persons_pool_size",
        _positive_int,
        4,
        "PostgreSQL only: most connections one process opens to the persons database (and "
        "again to the app tables).",
    ),
    Option(
        "accounts",
        "session_days",
        _positive_float,
        14.0,
        "Days a sign-in lasts without use; each request within them starts the days again.",
    ),
    Option(
        "accounts",
        "secure_cookies",
        _bool,
        False,
        "Mark the session cookies Secure (sent over HTTPS only): turn on behind HTTPS.",
    ),
    Option(
        "accounts",
        "sign_in_max_failures",
        _positive_int,
        5,
        "Failed sign-ins per email and per client IP within sign_in_window; one more "
        "answers 429 too_many_sign_in_attempts.",
    ),
    Option(
        "accounts",
        "sign_in_window",
        _positive_float,
        300.0,
        "Seconds over which failed sign-ins are counted.",
    ),
    Option(
        "bootstrap",
        "admin_email",
        str,
        "",
        "Email of the first user, created at start when no user exists (with admin_password).",
    ),
    Option(
        "bootstrap",
        "admin_password",
        str,
        "",
        "Password of the first user created from admin_email (at least 8 characters).",
    ),
    Option(
        "bootstrap",
        "project_token",
        str,
        "",
        "Project token given to project 1 on first start (random when empty).",
    ),
    Option(
        "bootstrap",
        "api_key",
        str,
        "",
        "Personal API key created on first start (random when empty).",
    ),
)
