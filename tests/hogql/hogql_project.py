"""A second project on a running server, made with the `hedgerow project create` command."""

from __future__ import annotations

import re
import subprocess
import sys

from server import Server


def create_project(server: Server, name: str) -> tuple[int, str, str]:
    """(project id, project token, personal API key) of a new project."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "hedgerow",
            "project",
            "create",
            "--name",
            name,
            "--data-dir",
            str(server.data_dir),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    project_id = re.search(r"project id:\s+(\d+)", out)
    token = re.search(r"project token:\s+(\S+)", out)
    key = re.search(r"personal API key:\s+(\S+)", out)
    assert project_id and token and key, out
    return int(project_id.group(1)), token.group(1), key.group(1)
