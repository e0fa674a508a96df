"""Which addresses GeoIP looks up: well-formed, globally reachable ones, IPv4-mapped IPv6
addresses as their IPv4 address, and nothing else."""

from __future__ import annotations

import ipaddress

import pytest

from hedgerow.geoip.addresses import NOT_GLOBAL, global_address

# (address as sent, the address looked up, or None), each range's edges and typical cases.
CASES = [
    ("8.8.8.8", "8.8.8.8"),
    (" 81.2.69.142\n", "81.2.69.142"),
    ("1.0.0.0", "1.0.0.0"),
    ("0.255.255.255", None),  # "this network"
    ("9.255.255.255", "9.255.255.255"),
    ("10.0.0.0", None),
    ("10.255.255.255", None),
    ("11.0.0.0", "11.0.0.0"),
    ("100.63.255.255", "100.63.255.255"),
    ("100.64.0.1", None),  # carrier-grade NAT
    ("100.127.255.255", None),
    ("100.128.0.0", "100.128.0.0"),
    ("127.0.0.1", None),
    ("169.254.10.1", None),
    ("172.15.255.255", "172.15.255.255"),
    ("172.16.0.0", None),
    ("172.31.255.255", None),
    ("172.32.0.0", "172.32.0.0"),
    ("192.0.0.7", None),
    ("192.0.0.8", "192.0.0.8"),
    ("192.0.2.200", None),  # documentation
    ("192.88.99.1", "192.88.99.1"),
    ("192.167.255.255", "192.167.255.255"),
    ("192.168.1.1", None),
    ("192.169.0.0", "192.169.0.0"),
    ("198.18.0.0", None),  # benchmarking
    ("198.19.255.255", None),
    ("198.20.0.0", "198.20.0.0"),
    ("198.51.100.255", None),
    ("203.0.113.1", None),
    ("203.0.114.0", "203.0.114.0"),
    ("223.255.255.255", "223.255.255.255"),
    ("224.0.0.1", None),  # multicast
    ("239.255.255.255", None),
    ("240.0.0.1", None),  # reserved
    ("255.255.255.255", None),
    ("2001:4860:4860::8888", "2001:4860:4860::8888"),
    ("2001:4860:4860:0:0:0:0:8888", "2001:4860:4860::8888"),
    ("2a00:1450:4001:80b::200e", "2a00:1450:4001:80b::200e"),
    ("::", None),
    ("::1", None),
    ("::2", "::2"),
    ("fe80::1", None),  # link-local
    ("fd12:3456::1", None),  # unique local
    ("fbff:ffff::1", "fbff:ffff::1"),
    ("ff02::1", None),  # multicast
    ("2001:db8::1", None),  # documentation
    ("2001:1ff::1", None),  # IETF protocol assignments
    ("2001:200::1", "2001:200::1"),
    ("100::1", None),  # discard-only
    ("::ffff:8.8.8.8", "8.8.8.8"),  # IPv4-mapped: the IPv4 address
    ("::ffff:808:808", "8.8.8.8"),
    ("::ffff:10.0.0.1", None),
    ("::ffff:127.0.0.1", None),
    # malformed
    ("", None),
    ("not an ip", None),
    ("8.8.8", None),
    ("8.8.8.8.8", None),
    ("08.8.8.8", None),  # a leading zero: octal to some parsers, refused by ipaddress too
    ("256.1.1.1", None),
    ("8.8.8.8/32", None),
    ("2001:4860::8888::1", None),
    ("fe80::1%eth0", None),
    ("8.8.8.8\x00", None),
    ("1.2.3.4 5", None),
]


@pytest.mark.parametrize(("sent", "looked_up"), CASES)
def test_global_addresses_are_looked_up_and_others_are_not(
    sent: str, looked_up: str | None
) -> None:
    assert global_address(sent) == looked_up


def test_the_ranges_not_looked_up_are_the_listed_ones_and_only_those() -> None:
    """Each listed range's first and last address is refused, the address on either side of
    it is looked up unless another listed range holds it."""
    networks = [ipaddress.ip_network(n) for n in NOT_GLOBAL]

    def listed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        mapped = getattr(address, "ipv4_mapped", None)
        return any(address in n for n in networks) or (
            mapped is not None and any(mapped in n for n in networks)
        )

    checked = 0
    for network in networks:
        for address in (network.network_address, network.broadcast_address):
            assert global_address(str(address)) is None, address
        for step in (-1, 1):
            edge = network.network_address if step < 0 else network.broadcast_address
            try:
                outside = edge + step
            except ipaddress.AddressValueError:  # the first or last address of all
                continue
            if not listed(outside):
                assert global_address(str(outside)) is not None, outside
                checked += 1
    assert checked > len(networks)
