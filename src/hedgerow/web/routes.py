"""The browser SDK, served compressed and cacheable, and a demo page that loads it.

`hedgerow.js` lives in `sdk/js/` (users may also host it themselves); the package reaches it
through `web/static/hedgerow.js`, a link in the repository that a wheel turns into a copy.
The demo page's own script and style are files too (`static/demo.js`, `static/demo.css`):
the Content-Security-Policy of HTML answers (`hedgerow.serving.headers`) forbids inline ones.
"""

from __future__ import annotations

import gzip
import hashlib
import html
from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.projects import Project

CACHE_CONTROL = "public, max-age=3600"


@dataclass(frozen=True)
class StaticFile:
    """One file's bytes, its gzip form and its ETag, computed once at startup."""

    body: bytes
    gzipped: bytes
    etag: str
    media_type: str
    cache_control: str = CACHE_CONTROL
    # The SDK is loaded by other sites' pages; the web app's own files are not.
    cross_origin: bool = True

    @classmethod
    def of(
        cls,
        body: bytes,
        media_type: str,
        *,
        cache_control: str = CACHE_CONTROL,
        cross_origin: bool = True,
    ) -> StaticFile:
        digest = hashlib.sha256(body).hexdigest()[:20]
        gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        return cls(body, gzipped, f'"{digest}"', media_type, cache_control, cross_origin)

    def response(self, request: Request) -> Response:
        headers = {
            "Cache-Control": self.cache_control,
            "ETag": self.etag,
            "Vary": "Accept-Encoding",
        }
        if self.cross_origin:
            headers["Access-Control-Allow-Origin"] = "*"
        if self.etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        body = self.body
        if len(self.gzipped) < len(body) and _accepts_gzip(
            request.headers.get("accept-encoding", "")
        ):
            body = self.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=self.media_type, headers=headers)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in {"gzip", "*"}:
            quality = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return True
    return False


def _read(name: str) -> bytes:
    return resources.files("hedgerow.web").joinpath(name).read_bytes()


def sdk_file() -> StaticFile:
    return StaticFile.of(_read("static/hedgerow.js"), "application/javascript; charset=utf-8")


DEMO_FILES = {
    "demo.js": "application/javascript; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}


def web_routes(project: Project) -> list[BaseRoute]:
    sdk = sdk_file()
    demo_files = {
        name: StaticFile.of(_read(f"static/{name}"), kind) for name, kind in DEMO_FILES.items()
    }
    demo_template = _read("demo.html").decode()

    async def hedgerow_js(request: Request) -> Response:
        return sdk.response(request)

    async def demo_file(request: Request) -> Response:
        return demo_files[request.url.path.rsplit("/", 1)[-1]].response(request)

    async def demo(request: Request) -> Response:
        api_host = str(request.base_url).rstrip("/")
        page = demo_template.replace("{{api_host}}", html.escape(api_host))
        page = page.replace("{{token}}", html.escape(project.token))
        return Response(page, media_type="text/html; charset=utf-8")

    return [
        Route("/static/hedgerow.js", hedgerow_js, methods=["GET", "HEAD"]),
        *(Route(f"/static/{name}", demo_file, methods=["GET", "HEAD"]) for name in DEMO_FILES),
        Route("/demo", demo, methods=["GET", "HEAD"]),
        Route("/demo/{path:path}", demo, methods=["GET", "HEAD"]),
    ]
