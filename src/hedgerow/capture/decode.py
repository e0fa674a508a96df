"""Turn a capture request (body, query, headers) into the JSON value the client meant.

The payload comes from the query `data=` (legacy GET) or the body, possibly wrapped in a
urlencoded form; it may be gzip (hinted or sniffed), lz-string base64, or base64; decompressed
size is capped. Errors are `BadRequest`/`PayloadTooLarge` with PostHog's capture error codes:
`empty_payload`, `request_decoding_error`, `request_parsing_error`, and
`decompressed_too_large` (413) past `DecodeLimits.max_decompressed`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote_to_bytes

import orjson

from hedgerow.capture import lzstring
from hedgerow.errors import BadRequest, PayloadTooLarge

Compression = Literal["gzip", "lz64", "base64"] | None

GZIP_MAGIC = b"\x1f\x8b"
MAX_DEPTH = 1024  # orjson's nesting limit (the stdlib fallback stops a little earlier)
_COMPRESSION_NAMES: dict[str, Compression] = {
    "gzip": "gzip", "gzip-js": "gzip", "lz64": "lz64", "lz-string": "lz64",
    "base64": "base64", "b64": "base64",
}  # fmt: skip
_BASE64_TEXT = re.compile(rb"[ \t\r\n]*([A-Za-z0-9+/_-]+={0,2})[ \t\r\n]*")
_SURROGATE = re.compile("[\ud800-\udfff]")
_WHITESPACE = b" \t\r\n"
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class DecodeLimits:
    max_decompressed: int = 100 * 1024 * 1024  # bytes after decompression


def decode_payload(
    body: bytes,
    *,
    query: Mapping[str, str],
    content_type: str | None,
    content_encoding: str | None,
    legacy_path: bool,
    limits: DecodeLimits = DecodeLimits(),
) -> Any:
    """Returns the parsed JSON value (dict, list, ...) of a capture request."""
    payload, form_compression = _locate_payload(body, query, content_type)
    hint = _compression(query.get("compression") or form_compression or content_encoding)
    if hint is None and not payload.startswith(GZIP_MAGIC):
        # Optimistic: what looks like base64 is decoded if that yields JSON. Legacy paths
        # also take base64 of gzip, and base64 of base64 (their "decode once more").
        levels = 2 if legacy_path else 1
        decoded = _try_base64(payload, levels=levels, legacy=legacy_path, limits=limits)
        data = payload if decoded is None else decoded
    else:
        data = _decompress(payload, hint, limits)
        if legacy_path:  # still base64 after decompression: decode once more
            decoded = _try_base64(data, levels=1, legacy=True, limits=limits)
            data = data if decoded is None else decoded
    if not data or data.isspace():
        raise BadRequest(
            "The payload decompressed to nothing. Send a JSON event, array or batch.",
            code="empty_payload",
        )
    return _parse_json(data)


def _decompress(payload: bytes, hint: Compression, limits: DecodeLimits) -> bytes | bytearray:
    if hint == "gzip" or payload.startswith(GZIP_MAGIC):
        return _gunzip(payload, limits)
    if hint == "lz64":
        return _lz_string(payload, limits)
    decoded = _base64(payload)
    if decoded is None:
        raise BadRequest(
            "The request says the payload is base64 (compression=base64) but it is not valid "
            "base64. Send base64 of the UTF-8 JSON text, or drop the compression hint.",
            code="request_decoding_error",
        )
    return _gunzip(decoded, limits) if decoded.startswith(GZIP_MAGIC) else decoded


def _locate_payload(
    body: bytes, query: Mapping[str, str], content_type: str | None
) -> tuple[bytes, str | None]:
    """The raw payload bytes and the form's `compression` field, if the body is a form."""
    query_data = query.get("data", "")
    if query_data and not query_data.isspace():
        return _repair_plus_signs(query_data.encode("utf-8", "surrogatepass")), None
    if not body or body.isspace():
        raise BadRequest(
            "The request has no payload. Send the events as the request body (JSON, gzip, "
            "base64 or lz64) or, for GET, as the `data` query parameter.",
            code="empty_payload",
        )
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != _FORM or body.startswith(GZIP_MAGIC):
        return body, None
    if body.lstrip()[:1] in (b"{", b"["):
        # A JSON body sent with a form content type (curl -d does this): not a form.
        return body, None
    form = _parse_form(body)
    data = form.get(b"data", b"")
    if not data or data.isspace():
        raise BadRequest(
            f"The body is sent as a form ({_FORM}) but has no `data` field. Send "
            "`data=<url-encoded payload>`, or send JSON with Content-Type: application/json.",
            code="empty_payload",
        )
    compression = form.get(b"compression")
    return _repair_plus_signs(data), None if compression is None else compression.decode("latin-1")


def _parse_form(body: bytes) -> dict[bytes, bytes]:
    fields: dict[bytes, bytes] = {}
    for pair in body.split(b"&"):
        name, _, value = pair.partition(b"=")
        name = unquote_to_bytes(name.replace(b"+", b" "))
        fields.setdefault(name, unquote_to_bytes(value.replace(b"+", b" ")))
    return fields


def _repair_plus_signs(value: bytes) -> bytes:
    """URL decoding turns base64's `+` into spaces; undo that when the value looks base64."""
    if b" " in value:
        repaired = value.replace(b" ", b"+")
        if _looks_base64(repaired):
            return repaired
    return value


def _compression(name: str | None) -> Compression:
    return _COMPRESSION_NAMES.get((name or "").strip().lower())


def _looks_base64(data: bytes | bytearray) -> bool:
    """Only base64 characters (either alphabet) between optional whitespace, at least 4."""
    match = _BASE64_TEXT.fullmatch(data)
    return match is not None and match.end(1) - match.start(1) >= 4


def _base64(data: bytes | bytearray) -> bytes | None:
    """Standard or URL-safe base64 with optional padding; None if it is not base64."""
    if not _looks_base64(data):
        return None
    text = bytes(data.strip(_WHITESPACE)).rstrip(b"=")
    if len(text) % 4 == 1:
        return None
    text = text.translate(bytes.maketrans(b"-_", b"+/"))
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        return None


def _try_base64(
    data: bytes | bytearray, *, levels: int, legacy: bool, limits: DecodeLimits
) -> bytes | bytearray | None:
    """Decode up to `levels` layers of base64, keeping the first one that is JSON (or gzip)."""
    decoded = _base64(data) if levels > 0 else None
    if decoded is None:
        return None
    if legacy and decoded.startswith(GZIP_MAGIC):
        return _gunzip(decoded, limits)
    try:
        _parse_json(decoded)
    except BadRequest:
        return _try_base64(decoded, levels=levels - 1, legacy=legacy, limits=limits)
    return decoded


def _gunzip(data: bytes, limits: DecodeLimits) -> bytearray:
    """Inflate a gzip (or zlib) stream, never holding more than the cap plus one chunk."""
    cap = limits.max_decompressed
    inflater = zlib.decompressobj(32 + zlib.MAX_WBITS)  # auto-detect gzip/zlib header
    out = bytearray()
    pending = data
    try:
        while not inflater.eof:
            chunk = inflater.decompress(pending, min(cap + 1 - len(out), 1 << 20))
            if not chunk and len(inflater.unconsumed_tail) >= len(pending):
                raise BadRequest(
                    "The body is gzip but ends early (truncated). Send the complete gzip stream.",
                    code="request_decoding_error",
                )
            pending = inflater.unconsumed_tail
            out += chunk
            if len(out) > cap:
                raise _decompressed_too_large(cap)
    except zlib.error as err:
        raise BadRequest(
            f"The body is not valid gzip ({err}). Send a complete gzip stream, or send plain "
            "JSON without a gzip compression hint or Content-Encoding.",
            code="request_decoding_error",
        ) from None
    return out


def _lz_string(data: bytes, limits: DecodeLimits) -> bytes:
    try:
        text = lzstring.decompress_from_base64(
            data.strip(_WHITESPACE).decode("ascii"), max_output=limits.max_decompressed
        )
        decoded = text.encode()
    except lzstring.OutputTooLarge:
        decoded = None
    except (UnicodeError, ValueError) as err:
        raise BadRequest(
            f"The payload is not valid lz-string base64 ({err}). Send the output of "
            "LZString.compressToBase64, or drop the lz64 compression hint.",
            code="request_decoding_error",
        ) from None
    if decoded is None or len(decoded) > limits.max_decompressed:
        raise _decompressed_too_large(limits.max_decompressed)
    return decoded


def _decompressed_too_large(cap: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The payload is larger than {cap} bytes once decompressed (the server's "
        "max_decompressed_size). Send fewer events per request.",
        code="decompressed_too_large",
    )


def _parse_json(data: bytes | bytearray) -> Any:
    """orjson; NaN/Infinity and out-of-range numbers are read as a browser would, as null."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as err:
        # Its text only: the exception itself would hold this frame (its traceback) from
        # the frame's own variable, a cycle only the garbage collector can free.
        error = str(err)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadRequest(
            f"The payload is not valid UTF-8 ({err}). Encode the JSON text as UTF-8.",
            code="request_decoding_error",
        ) from None
    if "depth limit" in error or "recursion" in error.lower():
        raise _too_deep()
    if b"NaN" in data or b"Infinity" in data or "number" in error:
        try:
            value = json.loads(text, parse_constant=_null, parse_int=_int, parse_float=_float)
        except RecursionError:
            raise _too_deep() from None
        except ValueError:
            pass
        else:
            if not _has_lone_surrogate(value):
                return value
            raise BadRequest(  # what orjson itself would refuse
                "The payload has a string with an unpaired UTF-16 surrogate escape (such as "
                "\\ud800 alone). Escape only complete surrogate pairs.",
                code="request_parsing_error",
            )
    raise BadRequest(
        f"The payload is not valid JSON ({error}). Send a JSON object or array.",
        code="request_parsing_error",
    )


def _too_deep() -> BadRequest:
    return BadRequest(
        f"The payload nests arrays/objects more than {MAX_DEPTH} levels deep. Flatten the "
        "event properties.",
        code="request_parsing_error",
    )


def _null(_constant: str) -> None:
    return None


def _int(digits: str) -> int | float | None:
    if len(digits) <= 20 and -(2**63) <= (value := int(digits)) < 2**64:
        return value
    return _float(digits)  # like orjson and JavaScript: a double beyond 64 bits


def _float(text: str) -> float | None:
    value = float(text)
    return None if math.isinf(value) else value


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
    return False
