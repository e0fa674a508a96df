"""Keep glibc's malloc from multiplying its arenas in the server process.

glibc gives each new thread an arena of its own until there are eight per core. The server's
threads come and go (anyio's API workers end after 10 s idle), each leaves memory freed in
its arena that only that arena can reuse, and the process's heap grew steadily in the soak
while the memory in use stayed flat (docs/benchmarks.md, "Soak and overload"). Two arenas are
enough for a process whose Python threads take turns on the GIL anyway.

`MALLOC_ARENA_MAX` in the environment, read by glibc itself at start, wins: we only call
`mallopt` when it is not set. On a C library without `mallopt` (musl, macOS) nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # from glibc's malloc.h
DEFAULT_ARENAS = 2


def limit_malloc_arenas(arenas: int = DEFAULT_ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; True when applied."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    applied = bool(mallopt(M_ARENA_MAX, arenas))
    if not applied:
        log.warning("could not limit malloc arenas to %d", arenas)
    return applied
