"""`hedgerow project create --timezone`."""

from __future__ import annotations

from pathlib import Path

import pytest

from hedgerow.cli import main
from hedgerow.projects import ProjectCatalog


def test_create_with_a_time_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "project",
            "create",
            "--name",
            "Shop",
            "--timezone",
            "Europe/Paris",
            "--data-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert "time zone:        Europe/Paris" in capsys.readouterr().out
    catalog = ProjectCatalog(tmp_path / "meta.sqlite3")
    assert [p.timezone for p in catalog.all()] == ["Europe/Paris"]
    catalog.close()


def test_an_unknown_time_zone_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "project",
            "create",
            "--name",
            "Shop",
            "--timezone",
            "Mars/Olympus",
            "--data-dir",
            str(tmp_path),
        ]
    )
    assert code == 2 and "not a time zone" in capsys.readouterr().err
    assert not (tmp_path / "meta.sqlite3").exists()
