"""Capture requests as SDKs send them, for the fuzz tests (unit: `prepare()`; integration: HTTP).

Each encoding turns JSON bytes into a `WireRequest`: the body, query, content type and
encoding a client would send, and whether it goes to a legacy path (`/e/`) or not.
`documented_capture_codes()` reads the error table of docs/capture.md, so a test using it
fails when the server answers with a code the docs do not list.
"""

from __future__ import annotations

import base64
import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from hedgerow.capture.lzstring import compress_to_base64

FORM = "application/x-www-form-urlencoded"
CAPTURE_DOCS = Path(__file__).resolve().parents[1] / "docs" / "capture.md"


@dataclass(frozen=True)
class WireRequest:
    body: bytes = b""
    query: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    content_encoding: str | None = None
    legacy: bool = False  # sent to /e/ (legacy decoding rules) rather than /i/v0/e/

    @property
    def method(self) -> str:
        return "GET" if "data" in self.query and not self.body else "POST"

    @property
    def path(self) -> str:
        return "/e/" if self.legacy else "/i/v0/e/"

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.content_type is not None:
            headers["content-type"] = self.content_type
        if self.content_encoding is not None:
            headers["content-encoding"] = self.content_encoding
        return headers


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _lz(data: bytes) -> str:
    return compress_to_base64(data.decode("utf-8"))


Encoding = Callable[[bytes], WireRequest]

ENCODINGS: dict[str, Encoding] = {
    "plain-json": lambda j: WireRequest(j, content_type="application/json"),
    "plain-text": lambda j: WireRequest(j, content_type="text/plain"),
    "gzip-sniffed": lambda j: WireRequest(_gz(j)),
    "gzip-js": lambda j: WireRequest(_gz(j), {"compression": "gzip-js"}),
    "gzip-hint": lambda j: WireRequest(_gz(j), {"compression": "gzip"}),
    "content-encoding": lambda j: WireRequest(_gz(j), content_encoding="gzip"),
    "lz64": lambda j: WireRequest(_lz(j).encode(), {"compression": "lz64"}),
    "lz64-form": lambda j: WireRequest(
        urlencode({"data": _lz(j), "compression": "lz64"}).encode(), content_type=FORM
    ),
    "base64-hint": lambda j: WireRequest(_b64(j), {"compression": "base64"}),
    "base64-optimistic": lambda j: WireRequest(_b64(j)),
    "base64-form": lambda j: WireRequest(
        b"data=" + quote(_b64(j)).encode() + b"&compression=base64", content_type=FORM
    ),
    "base64-form-unescaped": lambda j: WireRequest(
        b"data=" + _b64(j) + b"&compression=base64", content_type=FORM
    ),
    "form-plain": lambda j: WireRequest(urlencode({"data": j}).encode(), content_type=FORM),
    "get-json": lambda j: WireRequest(query={"data": j.decode("utf-8")}),
    "get-base64": lambda j: WireRequest(query={"data": _b64(j).decode()}),
    "legacy-double-base64": lambda j: WireRequest(_b64(_b64(j)), legacy=True),
    "legacy-base64-gzip": lambda j: WireRequest(_b64(_gz(j)), legacy=True),
}
# Encodings that carry any bytes; the others carry text (lz-string, a decoded query string).
BYTE_ENCODINGS = sorted(name for name in ENCODINGS if not name.startswith(("lz64", "get-")))


def documented_capture_codes() -> dict[str, int]:
    """code -> status, from the `| status | `code` | when |` rows of docs/capture.md."""
    rows = re.findall(r"^\| (\d{3}) \| `([a-z0-9_]+)` \|", CAPTURE_DOCS.read_text(), re.M)
    return {code: int(status) for status, code in rows}
