"""The server hands out hedgerow.js compressed and cacheable, and a demo page that uses it."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx

from server import TOKEN, Server

SDK = Path(__file__).resolve().parents[2] / "sdk" / "js" / "hedgerow.js"
SIZE_BUDGET = 12 * 1024  # bytes, gzipped, as served


def test_sdk_is_served_gzipped_with_cache_headers(server: Server) -> None:
    response = httpx.get(server.url + "/static/hedgerow.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == SDK.read_bytes()  # httpx undid the gzip
    etag = response.headers["etag"]

    again = httpx.get(server.url + "/static/hedgerow.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""

    plain = httpx.get(server.url + "/static/hedgerow.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == SDK.read_bytes()
    assert plain.headers["etag"] == etag


def test_sdk_fits_the_size_budget(server: Server) -> None:
    headers = {"Accept-Encoding": "gzip"}
    with httpx.stream("GET", server.url + "/static/hedgerow.js", headers=headers) as response:
        served = b"".join(response.iter_raw())
    assert gzip.decompress(served) == SDK.read_bytes()
    assert len(served) <= SIZE_BUDGET, f"hedgerow.js is {len(served)} bytes gzipped"


def test_demo_page_loads_the_sdk_with_the_project_token(server: Server) -> None:
    response = httpx.get(server.url + "/demo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<script src="/static/hedgerow.js"></script>' in page
    assert '<script src="/static/demo.js"></script>' in page
    assert "<script>" not in page and "<style>" not in page  # the CSP forbids inline ones
    assert f'data-token="{TOKEN}"' in page
    assert f'data-api-host="{server.url}"' in page
    assert f"hedgerow.init('{TOKEN}', {{ api_host: '{server.url}' }})" in page  # the snippet
    assert 'class="ph-no-capture"' in page
    assert httpx.get(server.url + "/demo/pricing").text == page  # history routes reload
