"""One typed, frozen settings object, read from CLI flags and `HEDGEROW_*` variables.

Every setting is declared once in `OPTIONS`, with its type, default and help text; the CLI
flags, the environment variable names and `docs/settings.md` all come from that table (a test
fails when the doc misses one). Precedence: CLI flag, then environment, then default.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError("must be between 0 and 65535")
    return value


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
    Option("storage", "data_dir", Path, Path("hedgerow-data"), "Directory holding all data."),
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
        "intake",
        "intake_max_backlog",
        _positive_int,
        5_000_000,
        "Most unprocessed events the intake log holds; past it capture answers 503.",
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


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    trust_forwarded_for: bool = False
    capture_processes: int = 1


@dataclass(frozen=True)
class StorageSettings:
    data_dir: Path = Path("hedgerow-data")


@dataclass(frozen=True)
class IngestionSettings:
    buffer_delay: float = 60.0
    batch_size: int = 20_000
    squash_interval: float = 600.0


@dataclass(frozen=True)
class IntakeSettings:
    intake_max_backlog: int = 5_000_000


@dataclass(frozen=True)
class BootstrapSettings:
    project_token: str = ""
    api_key: str = ""


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    ingestion: IngestionSettings = field(default_factory=IngestionSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
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
            storage=StorageSettings(**sections["storage"]),
            ingestion=IngestionSettings(**sections["ingestion"]),
            intake=IntakeSettings(**sections["intake"]),
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
