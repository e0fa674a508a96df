"""The `workers` fixture: ingestion workers on real stores in the test's data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from worker_stores import Workers


@pytest.fixture()
def workers(tmp_path: Path) -> Iterator[Workers]:
    opened = Workers(tmp_path)
    yield opened
    opened.close_all()
