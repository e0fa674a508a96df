"""The running server's control file: how a command on the same machine finds it.

`hedgerow serve` writes `<data dir>/control.json` (mode 0600) once it listens: its process id,
its address and a random token, and removes it when it stops. A command that needs the data
directory while the server owns its stores (`hedgerow backup`) reads the file and asks the
server through `POST /_instance/backup` with the token. Whoever can read the data directory
already holds all of its data, so the file gives away nothing more.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

CONTROL_FILE = "control.json"


@dataclass(frozen=True)
class Control:
    pid: int
    url: str
    token: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write_control(data_dir: Path, control: Control) -> None:
    path = data_dir / CONTROL_FILE
    staging = path.with_suffix(".tmp")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"pid": control.pid, "url": control.url, "token": control.token}, f)
    staging.replace(path)


def read_control(data_dir: Path) -> Control | None:
    """The running server's control, or None when no server of this data directory runs (no
    file, or one left by a server that died)."""
    try:
        raw = json.loads((data_dir / CONTROL_FILE).read_text())
        control = Control(int(raw["pid"]), str(raw["url"]), str(raw["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(control.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return control


def remove_control(data_dir: Path, token: str) -> None:
    """Remove the file if it is still this server's."""
    current = read_control(data_dir)
    if current is not None and current.token == token:
        (data_dir / CONTROL_FILE).unlink(missing_ok=True)
