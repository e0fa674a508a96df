"""One typed, frozen settings object, read from CLI flags and `HEDGEROW_*` variables.

Every setting is declared once in `OPTIONS` (`hedgerow.setting_options`), with its type,
default and help text; the CLI flags, the environment variable names and `docs/settings.md`
all come from that table (a test fails when the doc misses one). Precedence: CLI flag, then
environment, then default.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hedgerow.setting_options import OPTIONS


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    trust_forwarded_for: bool = False
    capture_processes: int = 1
    capture_max_in_flight: int = 1000
    capture_max_in_flight_bytes: int = 256 * 1024**2
    capture_max_delay: float = 2.0
    heap_trim_interval: float = 30.0
    malloc_mmap_threshold: int = 128 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    test_clock_start: str = ""


@dataclass(frozen=True)
class LimitsSettings:
    """What one capture request may carry."""

    max_body_size: int = 2 * 1024**2
    max_batch_body_size: int = 20 * 1024**2
    max_decompressed_size: int = 100 * 1024**2
    max_batch_events: int = 10_000
    max_event_size: int = 1024**2
    max_property_depth: int = 64


@dataclass(frozen=True)
class QuerySettings:
    """What one query may cost."""

    query_timeout: float = 30.0
    query_max_memory: int = 4 * 1024**3
    query_max_result_rows: int = 1_000_000
    query_max_result_bytes: int = 256 * 1024**2
    export_max_rows: int = 100_000_000
    query_concurrency: int = 4
    query_cache_seconds: float = 300.0
    slow_query_seconds: float = 10.0


@dataclass(frozen=True)
class StorageSettings:
    data_dir: Path = Path("hedgerow-data")
    events_url: str = ""
    min_free_disk: int = 256 * 1024**2
    retention_interval: float = 3600.0
    web_aggregate_interval: float = 60.0


@dataclass(frozen=True)
class IngestionSettings:
    buffer_delay: float = 60.0
    batch_size: int = 20_000
    squash_interval: float = 600.0
    ingestion_pause_file: str = ""
    geoip_database: str = ""
    cookieless_max_lag: float = 72 * 3600.0


@dataclass(frozen=True)
class IntakeSettings:
    intake_url: str = ""
    intake_stream_max_msgs: int = 1_000_000
    intake_stream_max_bytes: int = 1024**3
    intake_stream_replicas: int = 1
    intake_max_backlog: int = 5_000_000
    intake_max_lag: float = 300.0
    intake_partitions: int = 12


@dataclass(frozen=True)
class PersonsSettings:
    """Where persons and groups live: SQLite in the data directory, or PostgreSQL."""

    persons_url: str = ""
    persons_pool_size: int = 4


@dataclass(frozen=True)
class AccountsSettings:
    """Sign-in: sessions, cookies and the limit on failed attempts."""

    session_days: float = 14.0
    secure_cookies: bool = False
    sign_in_max_failures: int = 5
    sign_in_window: float = 300.0


@dataclass(frozen=True)
class BootstrapSettings:
    project_token: str = ""
    api_key: str = ""
    admin_email: str = ""
    admin_password: str = ""


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    query: QuerySettings = field(default_factory=QuerySettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    ingestion: IngestionSettings = field(default_factory=IngestionSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    persons: PersonsSettings = field(default_factory=PersonsSettings)
    accounts: AccountsSettings = field(default_factory=AccountsSettings)
    bootstrap: BootstrapSettings = field(default_factory=BootstrapSettings)

    @classmethod
    def load(
        cls, cli: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        """Build settings from parsed CLI values (None = not given) and the environment."""
        cli = cli or {}
        env = os.environ if env is None else env
        sections: dict[str, dict[str, Any]] = {}
        for option in OPTIONS:
            value = cli.get(option.name)
            if value is None and option.env in env:
                try:
                    value = option.parse(env[option.env])
                except ValueError as exc:
                    raise SettingsError(f"{option.env}={env[option.env]!r}: {exc}") from exc
            if value is None:
                value = option.default
            sections.setdefault(option.section, {})[option.name] = value
        return cls(
            server=ServerSettings(**sections["server"]),
            limits=LimitsSettings(**sections["limits"]),
            query=QuerySettings(**sections["query"]),
            storage=StorageSettings(**sections["storage"]),
            ingestion=IngestionSettings(**sections["ingestion"]),
            intake=IntakeSettings(**sections["intake"]),
            persons=PersonsSettings(**sections["persons"]),
            accounts=AccountsSettings(**sections["accounts"]),
            bootstrap=BootstrapSettings(**sections["bootstrap"]),
        )


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per option; flags default to None so the environment can fill in."""
    for option in OPTIONS:
        parser.add_argument(
            option.flag,
            dest=option.name,
            type=option.parse,
            default=None,
            help=f"{option.help} [env {option.env}, default {option.default}]",
        )
