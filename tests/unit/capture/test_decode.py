"""decode_payload: every encoding PostHog clients use, and every way a payload can be broken."""

from __future__ import annotations

import base64
import gc
import gzip
import tracemalloc
import zlib
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import orjson
import pytest

from hedgerow.capture.decode import DecodeLimits, decode_payload
from hedgerow.capture.lzstring import compress_to_base64
from hedgerow.errors import BadRequest, HedgerowError, PayloadTooLarge

EVENT = {
    "event": "$pageview",
    "distinct_id": "user-1",
    "properties": {"$current_url": "https://shop.test/ü?q=1&b=2", "emoji": "😀", "tag": ">>>"},
}
BATCH = {"api_key": "phc_test", "batch": [EVENT, {**EVENT, "event": "Plan purchased"}]}
JSON = orjson.dumps(EVENT)
B64 = base64.b64encode(JSON)
assert b"+" in B64 and b"/" in B64  # so the '+' repair and url-safe cases mean something


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def lz(data: bytes) -> bytes:
    return compress_to_base64(data.decode()).encode()


def query_string(raw: str) -> dict[str, str]:
    """What the web framework hands over for a raw query string."""
    return dict(parse_qsl(raw, keep_blank_values=True))


FORM = "application/x-www-form-urlencoded"
DEFAULT_LIMITS = DecodeLimits()


def decode(
    body: bytes = b"",
    *,
    query: dict[str, str] | None = None,
    content_type: str | None = "text/plain",
    content_encoding: str | None = None,
    legacy_path: bool = False,
    limits: DecodeLimits = DEFAULT_LIMITS,
) -> Any:
    return decode_payload(
        body,
        query=query or {},
        content_type=content_type,
        content_encoding=content_encoding,
        legacy_path=legacy_path,
        limits=limits,
    )


GOOD = [
    pytest.param({"body": JSON}, EVENT, id="plain-text-plain"),
    pytest.param({"body": JSON, "content_type": "application/json"}, EVENT, id="plain-json"),
    pytest.param(
        {"body": orjson.dumps(BATCH), "content_type": "application/json; charset=utf-8"},
        BATCH,
        id="plain-batch-charset",
    ),
    pytest.param({"body": b"[1,2]", "content_type": None}, [1, 2], id="array-no-content-type"),
    pytest.param({"body": b"  \n" + JSON + b"\n"}, EVENT, id="surrounding-whitespace"),
    pytest.param({"body": gz(JSON), "query": {"compression": "gzip"}}, EVENT, id="gzip-hint"),
    pytest.param({"body": gz(JSON)}, EVENT, id="gzip-sniffed"),
    pytest.param({"body": gz(JSON), "query": {"compression": "gzip-js"}}, EVENT, id="gzip-js"),
    pytest.param({"body": gz(JSON), "query": {"compression": "GZIP-JS"}}, EVENT, id="gzip-upper"),
    pytest.param(
        {"body": gz(JSON), "query": {"compression": "lz64"}}, EVENT, id="gzip-sniff-beats-hint"
    ),
    pytest.param(
        {"body": gz(JSON), "content_encoding": "gzip", "content_type": "application/json"},
        EVENT,
        id="content-encoding-gzip",
    ),
    pytest.param(
        {"body": gz(JSON), "content_type": FORM}, EVENT, id="gzip-sent-as-form-content-type"
    ),
    pytest.param(
        {"body": zlib.compress(JSON), "query": {"compression": "gzip"}}, EVENT, id="zlib-hint"
    ),
    pytest.param({"body": lz(JSON), "query": {"compression": "lz64"}}, EVENT, id="lz64"),
    pytest.param({"body": lz(JSON), "query": {"compression": "lz-string"}}, EVENT, id="lz-str"),
    pytest.param(
        {
            "body": urlencode({"data": lz(JSON), "compression": "lz64", "ver": "1.2"}).encode(),
            "content_type": FORM,
        },
        EVENT,
        id="lz64-form",
    ),
    pytest.param({"body": B64, "query": {"compression": "base64"}}, EVENT, id="base64-hint"),
    pytest.param({"body": B64, "content_encoding": "b64"}, EVENT, id="b64-content-encoding"),
    pytest.param({"body": B64}, EVENT, id="base64-optimistic"),
    pytest.param(
        {"body": base64.urlsafe_b64encode(JSON).rstrip(b"="), "query": {"compression": "b64"}},
        EVENT,
        id="base64-urlsafe-unpadded",
    ),
    pytest.param(
        {"body": b"data=" + B64 + b"&compression=base64", "content_type": FORM},
        EVENT,
        id="base64-form-plus-became-space",
    ),
    pytest.param(
        {"body": urlencode({"data": B64}).encode(), "content_type": FORM + "; charset=UTF-8"},
        EVENT,
        id="base64-form-encoded-no-hint",
    ),
    pytest.param(
        {"body": urlencode({"data": JSON, "_": "1700000000000"}).encode(), "content_type": FORM},
        EVENT,
        id="form-plain-json",
    ),
    pytest.param(
        {"query": query_string("data=" + quote(JSON) + "&ver=1.0"), "content_type": None},
        EVENT,
        id="get-query-json",
    ),
    pytest.param(
        {"query": query_string("data=" + B64.decode() + "&ip=1")},
        EVENT,
        id="get-query-base64-plus-became-space",
    ),
    pytest.param(
        {"body": b"ignored", "query": query_string("data=" + quote(B64))},
        EVENT,
        id="query-data-beats-body",
    ),
    pytest.param(
        {"query": {"data": "   "}, "body": JSON}, EVENT, id="blank-query-data-falls-to-body"
    ),
    pytest.param({"body": b64(B64), "legacy_path": True}, EVENT, id="legacy-double-base64"),
    pytest.param({"body": b64(gz(JSON)), "legacy_path": True}, EVENT, id="legacy-base64-gzip"),
    pytest.param(
        {"body": gz(B64), "query": {"compression": "gzip"}, "legacy_path": True},
        EVENT,
        id="legacy-gzip-then-base64",
    ),
    pytest.param(
        {"body": b64(gz(JSON)), "query": {"compression": "base64"}},
        EVENT,
        id="base64-hint-of-gzip",
    ),
    pytest.param({"body": JSON, "content_encoding": "br"}, EVENT, id="unknown-hint-is-plain"),
    pytest.param(
        {"body": B64, "query": {"compression": "base64"}, "content_encoding": "gzip"},
        EVENT,
        id="query-hint-beats-header",
    ),
    pytest.param({"body": b"1234"}, 1234, id="base64-looking-number-kept"),
    pytest.param({"body": b"true", "legacy_path": True}, True, id="base64-looking-true"),
    pytest.param(
        {"body": b'{"a": NaN, "b": [Infinity, -Infinity]}'},
        {"a": None, "b": [None, None]},
        id="nan",
    ),
    pytest.param(
        {"body": b'{"big": 123456789012345678901234567890, "u64": 18446744073709551615}'},
        {"big": 1.2345678901234568e29, "u64": 18446744073709551615},
        id="huge-int-becomes-double",
    ),
    pytest.param(
        {"body": b"[NaN, 123456789012345678901234567890, -9223372036854775808, 1e400]"},
        [None, 1.2345678901234568e29, -9223372036854775808, None],
        id="fallback-parser-numbers",
    ),
]


@pytest.mark.parametrize(("request_parts", "expected"), GOOD)
def test_decodes(request_parts: dict[str, Any], expected: Any) -> None:
    assert decode(**request_parts) == expected


def test_nesting_1024_deep_is_accepted() -> None:
    value = decode(b"[" * 1024 + b"]" * 1024)
    depth = 0
    while isinstance(value, list):
        value = value[0] if value else None
        depth += 1
    assert depth == 1024


def test_non_legacy_paths_decode_base64_only_once() -> None:
    with pytest.raises(BadRequest) as caught:
        decode(b64(B64))
    assert caught.value.code == "request_parsing_error"


SMALL = DecodeLimits(max_decompressed=1024 * 1024)
TRUNCATED_GZIP = gz(orjson.dumps(BATCH) * 50)[:-30]
CORRUPT_GZIP = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 40

BAD = [
    pytest.param({"body": b""}, "empty_payload", "no payload", id="empty"),
    pytest.param({"body": b" \r\n\t "}, "empty_payload", "no payload", id="whitespace"),
    pytest.param({"query": {"data": ""}}, "empty_payload", "no payload", id="empty-query-data"),
    pytest.param(
        {"body": b"ver=1&compression=base64", "content_type": FORM},
        "empty_payload",
        "no `data` field",
        id="form-without-data",
    ),
    pytest.param({"body": gz(b"  ")}, "empty_payload", "nothing", id="gzip-of-whitespace"),
    pytest.param(
        {"body": b'{"event": "x",}'}, "request_parsing_error", "not valid JSON", id="bad-json"
    ),
    pytest.param(
        {"body": b'{"a": NaN,}'}, "request_parsing_error", "not valid JSON", id="bad-json-nan"
    ),
    pytest.param(
        {"body": b'[NaN, "\\ud800"]'},
        "request_parsing_error",
        "surrogate",
        id="lone-surrogate-in-fallback",
    ),
    pytest.param({"body": TRUNCATED_GZIP}, "request_decoding_error", "truncated", id="gz-trunc"),
    pytest.param({"body": b"\x1f\x8b"}, "request_decoding_error", "truncated", id="gz-magic-only"),
    pytest.param({"body": CORRUPT_GZIP}, "request_decoding_error", "not valid gzip", id="gz-bad"),
    pytest.param(
        {"body": JSON, "query": {"compression": "gzip"}},
        "request_decoding_error",
        "not valid gzip",
        id="gzip-hint-plain-body",
    ),
    pytest.param(
        {"body": JSON, "query": {"compression": "base64"}},
        "request_decoding_error",
        "not valid base64",
        id="bad-base64-with-hint",
    ),
    pytest.param(
        {"body": b"QUJDRA=Z", "query": {"compression": "b64"}},
        "request_decoding_error",
        "not valid base64",
        id="bad-base64-padding",
    ),
    pytest.param(
        {"body": b"N4IgpgbmB2AuIC4QBIAOBDA5", "query": {"compression": "lz64"}},
        "request_decoding_error",
        "lz-string",
        id="bad-lz64-truncated",
    ),
    pytest.param(
        {"body": "N4Ig€".encode(), "query": {"compression": "lz64"}},
        "request_decoding_error",
        "lz-string",
        id="bad-lz64-non-ascii",
    ),
    pytest.param(
        {"body": b'{"a": "\xff\xfe"}'}, "request_decoding_error", "UTF-8", id="invalid-utf8"
    ),
    pytest.param(
        {"body": gz(b'{"a": "\xc3"}')}, "request_decoding_error", "UTF-8", id="invalid-utf8-gz"
    ),
    pytest.param(
        {"body": b"[" * 2000 + b"]" * 2000}, "request_parsing_error", "1024", id="nesting-2000"
    ),
    pytest.param(
        {"body": b"[" * 1025 + b"]" * 1025}, "request_parsing_error", "1024", id="nesting-1025"
    ),
    pytest.param(
        {"body": b"[" * 2000 + b"NaN" + b"]" * 2000},
        "request_parsing_error",
        "1024",
        id="nesting-2000-fallback-parser",
    ),
]


@pytest.mark.parametrize(("request_parts", "code", "in_message"), BAD)
def test_rejects(request_parts: dict[str, Any], code: str, in_message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        decode(**request_parts)
    assert caught.value.code == code
    assert caught.value.status == 400
    assert in_message in caught.value.message


def test_json_error_names_orjson_reason() -> None:
    with pytest.raises(BadRequest) as caught:
        decode(b'{"event": }')
    assert "unexpected character" in caught.value.message
    assert "Send a JSON object or array" in caught.value.message


def test_depth_error_says_how_to_fix() -> None:
    with pytest.raises(BadRequest) as caught:
        decode(b"[" * 2000 + b"]" * 2000)
    assert caught.value.message == (
        "The payload nests arrays/objects more than 1024 levels deep. Flatten the event properties."
    )


def zeros_bomb(megabytes: int) -> bytes:
    """gzip of `megabytes` MiB of zeros, built without holding them in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    return b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()


@pytest.mark.parametrize("hint", [None, "gzip"])
def test_gzip_bomb_with_small_cap(hint: str | None) -> None:
    bomb = zeros_bomb(20)
    with pytest.raises(PayloadTooLarge) as caught:
        decode(bomb, query={"compression": hint} if hint else {}, limits=SMALL)
    assert caught.value.code == "decompressed_too_large"
    assert caught.value.status == 413


def test_gzip_bomb_inside_legacy_base64_is_capped() -> None:
    with pytest.raises(PayloadTooLarge):
        decode(b64(zeros_bomb(5)), legacy_path=True, limits=SMALL)


def test_exactly_at_cap_is_accepted() -> None:
    payload = b'"' + b"x" * 98 + b'"'
    assert decode(gz(payload), limits=DecodeLimits(max_decompressed=100)) == "x" * 98
    with pytest.raises(PayloadTooLarge):
        decode(gz(payload + b" "), limits=DecodeLimits(max_decompressed=100))


def test_lz64_bomb_is_capped() -> None:
    body = lz(b'"' + b"a" * 200_000 + b'"')
    with pytest.raises(PayloadTooLarge) as caught:
        decode(body, query={"compression": "lz64"}, limits=DecodeLimits(max_decompressed=10_000))
    assert caught.value.code == "decompressed_too_large"


def test_gzip_bomb_with_default_cap_keeps_memory_bounded() -> None:
    bomb = zeros_bomb(150)  # 150 MiB of zeros, ~150 KB on the wire
    cap = DecodeLimits().max_decompressed
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge):
            decode(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < cap * 1.25, f"peak {peak / 2**20:.0f} MiB for a {cap / 2**20:.0f} MiB cap"


def test_errors_are_all_hedgerow_errors() -> None:
    for body in (b"", CORRUPT_GZIP, b"{"):
        with pytest.raises(HedgerowError):
            decode(body)


def test_json_body_with_form_content_type_is_json() -> None:
    """`curl -d '{...}'` labels JSON as a form; the body is still read as JSON."""
    body = b'{"event": "x", "distinct_id": "u"}'
    decoded = decode_payload(
        body, query={}, content_type=FORM, content_encoding=None, legacy_path=True
    )
    assert decoded == {"event": "x", "distinct_id": "u"}


def test_a_refused_payload_leaves_no_garbage_cycle() -> None:
    """The server runs the cyclic collector rarely (app.py): a refusal's exception must be
    freed by reference counting, not kept with its frames until a collection."""
    gc.collect()
    gc.disable()
    try:
        before = sum(isinstance(o, orjson.JSONDecodeError) for o in gc.get_objects())
        for _ in range(20):
            with pytest.raises(BadRequest):
                decode(b'{"event": "x", "properties": {')
        after = sum(isinstance(o, orjson.JSONDecodeError) for o in gc.get_objects())
        assert after == before
    finally:
        gc.enable()
