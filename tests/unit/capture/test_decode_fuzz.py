"""Properties of decode_payload: every encoding round-trips; nothing but HedgerowError escapes."""

from __future__ import annotations

import base64
import contextlib
import gzip
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hedgerow.capture.decode import DecodeLimits, decode_payload
from hedgerow.capture.lzstring import compress_to_base64
from hedgerow.errors import HedgerowError

FORM = "application/x-www-form-urlencoded"
LIMITS = DecodeLimits(max_decompressed=256 * 1024)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)

# Each encoding: JSON bytes -> keyword arguments of decode_payload, as a client would send them.
Encoding = Callable[[bytes], dict[str, Any]]


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


ENCODINGS: dict[str, Encoding] = {
    "plain-json": lambda j: {"body": j, "content_type": "application/json"},
    "plain-text": lambda j: {"body": j, "content_type": "text/plain"},
    "gzip-sniffed": lambda j: {"body": _gz(j)},
    "gzip-js": lambda j: {"body": _gz(j), "query": {"compression": "gzip-js"}},
    "content-encoding": lambda j: {"body": _gz(j), "content_encoding": "gzip"},
    "lz64": lambda j: {
        "body": compress_to_base64(j.decode()).encode(),
        "query": {"compression": "lz64"},
    },
    "lz64-form": lambda j: {
        "body": urlencode({"data": compress_to_base64(j.decode()), "compression": "lz64"}).encode(),
        "content_type": FORM,
    },
    "base64-hint": lambda j: {"body": _b64(j), "query": {"compression": "base64"}},
    "base64-optimistic": lambda j: {"body": _b64(j)},
    "base64-form-unescaped": lambda j: {
        "body": b"data=" + _b64(j) + b"&compression=base64",
        "content_type": FORM,
    },
    "form-plain": lambda j: {"body": urlencode({"data": j}).encode(), "content_type": FORM},
    "get-json": lambda j: {"query": dict(parse_qsl("data=" + quote(j)))},
    "get-base64": lambda j: {"query": dict(parse_qsl("data=" + _b64(j).decode()))},
    "legacy-double-base64": lambda j: {"body": _b64(_b64(j)), "legacy_path": True},
    "legacy-base64-gzip": lambda j: {"body": _b64(_gz(j)), "legacy_path": True},
}


def _decode(
    body: bytes = b"",
    *,
    query: dict[str, str] | None = None,
    content_type: str | None = None,
    content_encoding: str | None = None,
    legacy_path: bool = False,
) -> Any:
    return decode_payload(
        body,
        query=query or {},
        content_type=content_type,
        content_encoding=content_encoding,
        legacy_path=legacy_path,
        limits=LIMITS,
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.sampled_from(sorted(ENCODINGS)), st.booleans())
def test_every_encoding_round_trips(value: Any, encoding: str, legacy: bool) -> None:
    request = ENCODINGS[encoding](orjson.dumps(value))
    request.setdefault("legacy_path", legacy)
    assert _decode(**request) == value


hints = st.sampled_from(
    [None, "", "gzip", "gzip-js", "GZIP", "lz64", "lz-string", "base64", "b64", "br", " gzip "]
) | st.text(max_size=8)
content_types = st.sampled_from(
    [None, "", "text/plain", "application/json", FORM, FORM + "; charset=utf-8", "multipart/x"]
)
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ "
bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.text(alphabet=B64_ALPHABET, max_size=200).map(str.encode),
    st.binary(max_size=200).map(lambda b: b"\x1f\x8b" + b),
    st.binary(max_size=200).map(_gz),
    st.binary(max_size=200).map(lambda b: _b64(_gz(b))),
    st.binary(max_size=200).map(_b64),
    st.text(max_size=100).map(lambda t: compress_to_base64(t).encode()),
    st.binary(max_size=100).map(lambda b: b"data=" + b + b"&compression=" + b[:3]),
    json_values.map(orjson.dumps).map(lambda j: j[: len(j) // 2] + b"NaN" + j[len(j) // 2 :]),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=bodies,
    query_data=st.none() | st.text(max_size=60),
    query_hint=st.none() | hints,
    content_type=content_types,
    content_encoding=st.none() | hints,
    legacy=st.booleans(),
)
def test_anything_else_is_a_hedgerow_error(
    body: bytes,
    query_data: str | None,
    query_hint: str | None,
    content_type: str | None,
    content_encoding: str | None,
    legacy: bool,
) -> None:
    query = {}
    if query_data is not None:
        query["data"] = query_data
    if query_hint is not None:
        query["compression"] = query_hint
    with contextlib.suppress(HedgerowError):
        _decode(
            body,
            query=query,
            content_type=content_type,
            content_encoding=content_encoding,
            legacy_path=legacy,
        )
