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
from functools import lru_cache

MASK = 0xFFFFFFFFFFFFFFFF
SALT_BYTES = 16
MAX_EXTRA = 100


def siphash128(key: bytes, message: bytes) -> bytes:
    """SipHash-2-4 with the 128-bit output of the reference variant, in PostHog's byte order.

    The rounds are written out with local variables: about three times faster in CPython
    than a round function over a list (bench/cookieless.py).
    """
    if len(key) != SALT_BYTES:
        raise ValueError(f"the key must be {SALT_BYTES} bytes, got {len(key)}")
    k0, k1 = struct.unpack("<QQ", key)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D ^ 0xEE
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    tail = len(message) % 8
    whole = len(message) - tail
    blocks = [b for (b,) in struct.iter_unpack("<Q", message[:whole])]
    blocks.append(((len(message) & 0xFF) << 56) | int.from_bytes(message[whole:], "little"))
    m = MASK
    for block in blocks:
        v3 ^= block
        for _ in range(2):
            v0 = (v0 + v1) & m
            v1 = ((v1 << 13) | (v1 >> 51)) & m ^ v0
            v0 = ((v0 << 32) | (v0 >> 32)) & m
            v2 = (v2 + v3) & m
            v3 = ((v3 << 16) | (v3 >> 48)) & m ^ v2
            v0 = (v0 + v3) & m
            v3 = ((v3 << 21) | (v3 >> 43)) & m ^ v0
            v2 = (v2 + v1) & m
            v1 = ((v1 << 17) | (v1 >> 47)) & m ^ v2
            v2 = ((v2 << 32) | (v2 >> 32)) & m
        v0 ^= block
    words = []
    for final in (0xEE, 0xDD):
        if final == 0xEE:
            v2 ^= 0xEE
        else:
            v1 ^= 0xDD
        for _ in range(4):
            v0 = (v0 + v1) & m
            v1 = ((v1 << 13) | (v1 >> 51)) & m ^ v0
            v0 = ((v0 << 32) | (v0 >> 32)) & m
            v2 = (v2 + v3) & m
            v3 = ((v3 << 16) | (v3 >> 48)) & m ^ v2
            v0 = (v0 + v3) & m
            v3 = ((v3 << 21) | (v3 >> 43)) & m ^ v0
            v2 = (v2 + v1) & m
            v1 = ((v1 << 17) | (v1 >> 47)) & m ^ v2
            v2 = ((v2 << 32) | (v2 >> 32)) & m
        words.append(v0 ^ v1 ^ v2 ^ v3)
    first, second = words
    # PostHog's byte order (its JS library's): the four 32-bit halves from the last to the
    # first, each little-endian.
    return struct.pack("<IIII", second >> 32, second & 0xFFFFFFFF, first >> 32, first & 0xFFFFFFFF)


@lru_cache(maxsize=8192)  # a visitor's later events on the day; cleared with expired salts
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
