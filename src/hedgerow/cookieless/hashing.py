"""The cookieless visitor hash: SipHash-2-4 with a 128-bit output, keyed by the day's salt.

PostHog's ingestion derives a cookieless visitor's ids from
`siphash128(key=salt, "<project id>-<ip>-<root domain>-<user agent>-<n>-<extra[:100]>")`,
where `n` counts the `$identify` events seen before for the same base hash (stateful mode)
and `extra` is the event's `$cookieless_extra`. Hedgerow computes the same bytes, so an id
derived here equals PostHog's for the same salt (docs/web-analytics.md#cookieless-counting;
tests/unit/cookieless/test_hashing.py checks PostHog's published test vectors).

SipHash is written out here (about 40 lines) because the Python packages that offer the
128-bit variant are unmaintained; it runs only for events sent in cookieless mode.
"""

from __future__ import annotations

import base64
import struct

MASK = 0xFFFFFFFFFFFFFFFF
SALT_BYTES = 16
MAX_EXTRA = 100


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & MASK


def _rounds(v: list[int], count: int) -> None:
    v0, v1, v2, v3 = v
    for _ in range(count):
        v0 = (v0 + v1) & MASK
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & MASK
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & MASK
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & MASK
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    v[:] = [v0, v1, v2, v3]


def siphash128(key: bytes, message: bytes) -> bytes:
    """SipHash-2-4 with the 128-bit output of the reference variant, in PostHog's byte order."""
    if len(key) != SALT_BYTES:
        raise ValueError(f"the key must be {SALT_BYTES} bytes, got {len(key)}")
    k0, k1 = struct.unpack("<QQ", key)
    v = [
        k0 ^ 0x736F6D6570736575,
        k1 ^ 0x646F72616E646F6D ^ 0xEE,
        k0 ^ 0x6C7967656E657261,
        k1 ^ 0x7465646279746573,
    ]
    tail = len(message) % 8
    whole = len(message) - tail
    for (block,) in struct.iter_unpack("<Q", message[:whole]):
        v[3] ^= block
        _rounds(v, 2)
        v[0] ^= block
    last = ((len(message) & 0xFF) << 56) | int.from_bytes(message[whole:], "little")
    v[3] ^= last
    _rounds(v, 2)
    v[0] ^= last
    v[2] ^= 0xEE
    _rounds(v, 4)
    first = v[0] ^ v[1] ^ v[2] ^ v[3]
    v[1] ^= 0xDD
    _rounds(v, 4)
    second = v[0] ^ v[1] ^ v[2] ^ v[3]
    # PostHog's byte order (its JS library's): the four 32-bit halves from the last to the
    # first, each little-endian.
    return struct.pack("<IIII", second >> 32, second & 0xFFFFFFFF, first >> 32, first & 0xFFFFFFFF)


def visitor_hash(
    salt: bytes,
    project_id: int,
    ip: str,
    root_domain: str,
    user_agent: str,
    n: int = 0,
    extra: str = "",
) -> bytes:
    """The 16-byte hash of one visitor on one day (see the module's docstring)."""
    text = f"{project_id}-{ip}-{root_domain}-{user_agent}-{n}-{extra[:MAX_EXTRA]}"
    return siphash128(salt, text.encode())


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode().rstrip("=")


def distinct_id_of(digest: bytes) -> str:
    """The derived distinct_id: `cookieless_` and the hash in base64 without padding."""
    return "cookieless_" + _b64(digest)


def device_id_of(base_digest: bytes) -> str:
    """The derived `$device_id` (from the hash with n = 0): `cookielessd_` and base64."""
    return "cookielessd_" + _b64(base_digest)
