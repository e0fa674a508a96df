"""Which addresses GeoIP looks up, decided in C calls rather than with `ipaddress`.

An address is parsed with `socket.inet_pton` (strict: no leading zeros, no shortened IPv4
forms, no IPv6 zone), an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is its IPv4 address,
and an address in a range that is not globally reachable (private, loopback, link-local,
shared, documentation, benchmarking, reserved, multicast, broadcast: `NOT_GLOBAL`) is not
looked up. The ranges are sorted integer intervals searched with `bisect`, so deciding
takes under a microsecond of CPU; `ipaddress.ip_address(...).is_global` took about seven
(it parses in Python and builds a network object on every call). The reader is then given
the address as text: maxminddb's C reader parses a string (`getaddrinfo`) a little faster
than it reads an `ipaddress` object, which would cost more to build.
"""

from __future__ import annotations

import ipaddress
import socket
from bisect import bisect_right

# IANA's special-purpose ranges that are not globally reachable, as `ipaddress.is_global`
# knows them (Python 3.11), with multicast and IPv6's discard-only range added: none is an
# address a visitor's request comes from.
NOT_GLOBAL = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/29",
    "192.0.0.170/31",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/127",
    "::ffff:0:0/96",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
)
_MAPPED_PREFIX = 0xFFFF  # ::ffff:0:0/96, shifted right by 32 bits


def _intervals(version: int) -> tuple[list[int], list[int]]:
    """The first and last addresses of the `NOT_GLOBAL` ranges of one IP version, merged
    and sorted."""
    ranges = sorted(
        (int(network.network_address), int(network.broadcast_address))
        for network in map(ipaddress.ip_network, NOT_GLOBAL)
        if network.version == version
    )
    pairs: list[tuple[int, int]] = []
    for first, last in ranges:
        if pairs and first <= pairs[-1][1] + 1:  # overlapping or adjacent: one range
            pairs[-1] = (pairs[-1][0], max(last, pairs[-1][1]))
        else:
            pairs.append((first, last))
    return [first for first, _ in pairs], [last for _, last in pairs]


_IPV4 = _intervals(4)
_IPV6 = _intervals(6)


def _is_global(value: int, intervals: tuple[list[int], list[int]]) -> bool:
    firsts, lasts = intervals
    index = bisect_right(firsts, value) - 1
    return index < 0 or value > lasts[index]


def global_address(ip: str) -> str | None:
    """The address `ip` names, as text to look up (IPv6 in its shortest form, a mapped
    address as its IPv4 address), if it is a well-formed, globally reachable one."""
    text = ip.strip()
    try:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
    except (OSError, ValueError):  # ValueError: an embedded NUL character
        return None
    value = int.from_bytes(packed, "big")
    if len(packed) == 4:
        return text if _is_global(value, _IPV4) else None
    if value >> 32 == _MAPPED_PREFIX:
        ipv4 = value & 0xFFFFFFFF
        return socket.inet_ntop(socket.AF_INET, packed[12:]) if _is_global(ipv4, _IPV4) else None
    return socket.inet_ntop(socket.AF_INET6, packed) if _is_global(value, _IPV6) else None
