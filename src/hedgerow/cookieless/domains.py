"""The root domain a cookieless hash uses: the registrable domain (eTLD+1) of `$host`, so
that `www.example.com` and `shop.example.com` count one visitor, as in PostHog.

The public suffix list comes with the `publicsuffixlist` package (ICANN section only, like
PostHog's library by default). IP addresses and names without a registrable domain are used
as they are; `localhost` counts as `127.0.0.1`; a port is kept unless it is the scheme's default.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

_SUFFIXES = PublicSuffixList(only_icann=True)
DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=4096)
def root_domain(host: str) -> str:
    if not host:
        return host
    try:
        return f"[{ipaddress.IPv6Address(host).compressed}]"
    except ValueError:
        pass
    try:
        parts = urlsplit(host if "://" in host else f"http://{host}")
        hostname, port = parts.hostname or "", parts.port
        if DEFAULT_PORTS.get(parts.scheme) == port:
            port = None  # as a URL parser drops it
    except ValueError:
        return host
    if not hostname:
        return host
    domain = _registrable(hostname)
    if domain == "localhost":
        domain = "127.0.0.1"
    return f"{domain}:{port}" if port else domain


def _registrable(hostname: str) -> str:
    if hostname.startswith("["):
        return hostname
    try:
        ipaddress.ip_address(hostname.strip("[]"))
        return f"[{hostname}]" if ":" in hostname else hostname
    except ValueError:
        pass
    return _SUFFIXES.privatesuffix(hostname) or hostname
