"""The web app: its page paths answer the built single-page app's index.html, its hashed
files are under /assets/.

`frontend/` builds into `web/app/` (`make frontend`, run by `make serve` and `make test`; a
wheel carries the build). The page paths are the web app contract's; the app routes among
them in the browser. `signed_in(request)` decides who may load a page: without a session a
page redirects to /login?next=<path> (the sign-in and setup pages always load).
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hedgerow.web.routes import StaticFile

APP_DIR = Path(__file__).parent / "app"

# Every page of the contract; each also answers its sub-paths (/events/<uuid>, ...).
PAGE_PATHS = (
    "/login",
    "/setup",
    "/events",
    "/persons",
    "/actions",
    "/data-management",
    "/sql",
    "/insights",
    "/ingestion-warnings",
    "/settings",
    "/dashboards",
    "/dashboard",
    "/web",
)
OPEN_PAGES = ("/login", "/setup")

# Vite names each built file after a hash of its content: it never changes under one name.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
NOT_BUILT = (
    "Hedgerow's web app is not built, so there is no page to show.\n"
    "In a checkout, start the server with `make serve`: it builds the app (npm, in frontend/)\n"
    "before it starts. Installing Hedgerow with pip builds it into the package too.\n"
)

SignedIn = Callable[[Request], bool]


def always_signed_in(request: Request) -> bool:
    return True


class AppFiles:
    """The built app on disk, read on demand: a rebuild shows without a restart."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._assets: dict[str, StaticFile] = {}
        self._index: tuple[float, bytes] | None = None

    def index_html(self) -> bytes | None:
        path = self.directory / "index.html"
        try:
            mtime = path.stat().st_mtime
            if self._index is None or self._index[0] != mtime:
                self._index = (mtime, path.read_bytes())
        except FileNotFoundError:
            return None
        return self._index[1]

    def asset(self, name: str) -> StaticFile | None:
        if not ASSET_NAME.match(name):
            return None
        cached = self._assets.get(name)
        if cached is None:
            path = self.directory / "assets" / name
            if not path.is_file():
                return None
            media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if media_type.startswith("text/") or media_type.endswith("javascript"):
                media_type += "; charset=utf-8"
            cached = StaticFile.of(
                path.read_bytes(),
                media_type,
                cache_control=ASSET_CACHE_CONTROL,
                cross_origin=False,
            )
            self._assets[name] = cached
        return cached


def app_routes(
    signed_in: SignedIn = always_signed_in, directory: Path = APP_DIR
) -> list[BaseRoute]:
    files = AppFiles(directory)

    async def page(request: Request) -> Response:
        path = request.url.path
        if not _is_open(path) and not signed_in(request):
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=302)
        body = files.index_html()
        if body is None:
            return PlainTextResponse(NOT_BUILT, status_code=503)
        return Response(
            body, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"}
        )

    async def asset(request: Request) -> Response:
        found = files.asset(request.path_params["name"])
        if found is None:
            return PlainTextResponse("No such file of the web app.\n", status_code=404)
        return found.response(request)

    methods = ["GET", "HEAD"]
    routes: list[BaseRoute] = [
        Route("/", page, methods=methods),
        Route("/assets/{name}", asset, methods=methods),
    ]
    for path in PAGE_PATHS:
        routes.append(Route(path, page, methods=methods))
        routes.append(Route(path + "/{rest:path}", page, methods=methods))
    return routes


def _is_open(path: str) -> bool:
    return any(path == open_page or path.startswith(open_page + "/") for open_page in OPEN_PAGES)
