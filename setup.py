"""Build hook: every wheel carries the web app, built from frontend/ with npm when missing.

Everything else about the package is in pyproject.toml. `make frontend` builds the app in a
checkout; `pip install .` / `pip wheel .` of a checkout without a build runs the same npm
build here, so a user who never touches npm still gets the UI.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
FRONTEND = ROOT / "frontend"
APP_INDEX = ROOT / "src" / "hedgerow" / "web" / "app" / "index.html"


def build_web_app() -> None:
    if not (FRONTEND / "package.json").is_file():
        raise SystemExit(
            f"The web app is not built ({APP_INDEX} is missing) and there is no frontend/ "
            "to build it from: build the wheel from a checkout of Hedgerow."
        )
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "Building Hedgerow builds its web app, which needs Node.js 20.19+ and npm: "
            "install them (e.g. `apt-get install nodejs npm`) and build again."
        )
    if not (FRONTEND / "node_modules").is_dir():
        quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run([npm, "ci", *quiet], cwd=FRONTEND, check=True)
    subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True)


class BuildPyWithWebApp(build_py):
    """`build_py` that first builds the web app when web/app/index.html is missing."""

    def run(self) -> None:
        # An editable install serves src/ in place: `make frontend` builds the app there.
        if not getattr(self, "editable_mode", False) and not APP_INDEX.is_file():
            build_web_app()
        super().run()


setup(cmdclass={"build_py": BuildPyWithWebApp})
