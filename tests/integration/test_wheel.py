"""A wheel built from a checkout carries the web app, built by setup.py's hook when the
checkout has no build (as for a user who runs `pip install .` and never touches npm)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(
    "node_modules",
    "__pycache__",
    "*.egg-info",
    "app",
    "build",
    "*.mmdb",  # GeoIP: not in a wheel
)


@pytest.mark.wheel
def test_a_wheel_of_a_checkout_without_a_build_contains_the_built_app(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy(ROOT / name, checkout / name)
    shutil.copytree(ROOT / "src", checkout / "src", ignore=SKIP)
    shutil.copytree(ROOT / "frontend", checkout / "frontend", ignore=SKIP)
    assert not (checkout / "src" / "hedgerow" / "web" / "app").exists()
    # The packages npm installed here serve the copy too (the hook runs `npm ci` without).
    if (ROOT / "frontend" / "node_modules").is_dir():
        os.symlink(ROOT / "frontend" / "node_modules", checkout / "frontend" / "node_modules")

    wheels = tmp_path / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*command, "--quiet", "-w", str(wheels)],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]

    [wheel] = wheels.glob("hedgerow-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "hedgerow/web/app/index.html" in names
    assets = [n for n in names if n.startswith("hedgerow/web/app/assets/")]
    assert any(n.endswith(".js") for n in assets), assets
    assert any(n.endswith(".css") for n in assets), assets
    index = zipfile.ZipFile(wheel).read("hedgerow/web/app/index.html").decode()
    for asset in assets:
        if "/index-" in asset:
            assert asset.removeprefix("hedgerow/web/app") in index
