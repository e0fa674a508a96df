"""Content negotiation of the static files: gzip when accepted, 304 for a matching ETag."""

from __future__ import annotations

import gzip

import pytest
from starlette.requests import Request

from hedgerow.web.routes import StaticFile, _accepts_gzip, sdk_file


def request(**headers: str) -> Request:
    raw = [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("GZIP", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, br", False),
        ("identity", False),
        ("", False),
        ("deflate, br", False),
    ],
)
def test_accepts_gzip(header: str, accepted: bool) -> None:
    assert _accepts_gzip(header) is accepted


def test_response_is_gzip_only_when_accepted() -> None:
    file = StaticFile.of(b"console.log('hi')\n" * 100, "application/javascript")
    zipped = file.response(request(accept_encoding="gzip"))
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == file.body
    plain = file.response(request(accept_encoding="identity"))
    assert "content-encoding" not in plain.headers
    assert plain.body == file.body


@pytest.mark.parametrize("header", ["{etag}", "W/{etag}", '"other", {etag}'])
def test_matching_etag_answers_304(header: str) -> None:
    file = StaticFile.of(b"x", "application/javascript")
    response = file.response(request(if_none_match=header.format(etag=file.etag)))
    assert response.status_code == 304
    assert response.body == b""
    assert file.response(request(if_none_match='"other"')).status_code == 200


def test_sdk_is_packaged_with_the_server() -> None:
    sdk = sdk_file()
    assert sdk.body.startswith(b"/*! hedgerow.js")
    assert gzip.decompress(sdk.gzipped) == sdk.body
