"""The web app's pages and files: every page path of the contract answers the built
index.html, hashed assets are cached for good (gzip when accepted), a missing build says how
to make one, and pages need a session except sign-in and setup."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from hedgerow.web.app_routes import PAGE_PATHS, app_routes

INDEX = b'<!doctype html><script type="module" src="/assets/index-abc123.js"></script>'
SCRIPT = b"console.log('the app');\n" * 200

PAGES = [
    "/",
    "/login",
    "/setup?token=abc",
    "/events",
    "/events/0190b5a4-7b1c-7000-8000-000000000001",
    "/persons",
    "/persons/some-distinct-id",
    "/actions/new?event=%24autocapture",
    "/actions/12",
    "/data-management/events",
    "/data-management/properties",
    "/sql?q=SELECT%201",
    "/ingestion-warnings",
    "/settings",
    "/insights",
    "/insights/aBcD1234",
    "/dashboards?search=growth",
    "/dashboard/3",
    "/web?from=-30d&f=event,%24pathname,%2Fpricing",
]


@pytest.fixture()
def build(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_bytes(SCRIPT)
    return tmp_path


class Client:
    """GET requests to the routes in-process (httpx over ASGI)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hedgerow") as http:
                return await http.get(path, headers=headers)

        return asyncio.run(send())


def client(directory: Path, signed_in: bool = True) -> Client:
    def check(request: Request) -> bool:
        return signed_in

    return Client(Starlette(routes=app_routes(check, directory)))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_path_answers_the_app(build: Path, path: str) -> None:
    response = client(build).get(path)
    assert response.status_code == 200
    assert response.content == INDEX
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"


def test_the_contract_pages_are_all_served() -> None:
    assert {p.split("?")[0].split("/")[1] for p in PAGES if p != "/"} == {
        p.lstrip("/") for p in PAGE_PATHS
    }


def test_other_paths_are_not_pages(build: Path) -> None:
    assert client(build).get("/eventsx").status_code == 404
    assert client(build).get("/nothing").status_code == 404


def test_assets_are_cached_for_good_and_gzipped(build: Path) -> None:
    http = client(build)
    plain = http.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.content == SCRIPT
    assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "access-control-allow-origin" not in plain.headers
    zipped = http.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(SCRIPT) / 10
    assert zipped.content == SCRIPT  # the client undid the gzip
    again = http.get("/assets/index-abc123.js", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["missing.js", "..%2Findex.html", ".hidden", "%2Fetc%2Fpasswd"])
def test_only_built_assets_are_served(build: Path, name: str) -> None:
    assert client(build).get(f"/assets/{name}").status_code == 404


def test_without_a_build_pages_say_how_to_build_it(tmp_path: Path) -> None:
    response = client(tmp_path / "app").get("/events")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/plain")
    assert "make serve" in response.text


def test_a_rebuild_shows_without_a_restart(build: Path) -> None:
    http = client(build)
    assert http.get("/events").content == INDEX
    newer = INDEX.replace(b"abc123", b"def456")
    (build / "index.html").write_bytes(newer)
    os.utime(build / "index.html", (1, 1))
    assert http.get("/events").content == newer


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/", "/login?next=%2F"),
        ("/events", "/login?next=%2Fevents"),
        ("/events?event=%24pageview", "/login?next=%2Fevents%3Fevent%3D%2524pageview"),
        ("/persons/abc", "/login?next=%2Fpersons%2Fabc"),
    ],
)
def test_pages_without_a_session_redirect_to_sign_in(build: Path, path: str, login: str) -> None:
    response = client(build, signed_in=False).get(path)
    assert response.status_code == 302
    assert response.headers["location"] == login


@pytest.mark.parametrize("path", ["/login", "/login?next=%2Fevents", "/setup?token=x"])
def test_sign_in_and_setup_load_without_a_session(build: Path, path: str) -> None:
    assert client(build, signed_in=False).get(path).content == INDEX
