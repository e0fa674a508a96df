"""Keep glibc's malloc from growing the server process: two arenas, trimmed regularly.

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
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # from glibc's malloc.h
DEFAULT_ARENAS = 2


def limit_malloc_arenas(arenas: int = DEFAULT_ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; True when applied."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    mallopt = _libc_function("mallopt", [ctypes.c_int, ctypes.c_int])
    if mallopt is None:
        return False
    applied = bool(mallopt(M_ARENA_MAX, arenas))
    if not applied:
        log.warning("could not limit malloc arenas to %d", arenas)
    return applied


class HeapTrimmer:
    """Every `interval` seconds, hand the pages that glibc's heap holds free back to the
    system (`malloc_trim(0)`, which releases whole free pages anywhere in every arena, not
    only at the top).

    In the soak the heap's size grew by ~14 MiB a minute while the memory in use stayed near
    100 MiB: freed request bodies, query results and insert buffers leave holes between
    longer-lived blocks that glibc keeps, and the resident memory rose with them
    (docs/benchmarks.md). A trim walks the free lists under each arena's lock for a few
    milliseconds; ctypes releases the GIL while it runs.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._trim = _malloc_trim()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start trimming in the background; False when there is nothing to do (off, or no
        glibc)."""
        if self.interval <= 0 or self._trim is None:
            return False
        self._thread = threading.Thread(target=self._run, name="heap-trimmer", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def trim(self) -> bool:
        """Trim once now; True when glibc released memory."""
        return bool(self._trim()) if self._trim is not None else False

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.trim()


def _malloc_trim() -> Callable[[], int] | None:
    trim = _libc_function("malloc_trim", [ctypes.c_size_t])
    return None if trim is None else lambda: int(trim(0))


def _libc_function(name: str, argtypes: list[type[Any]]) -> Any:
    """A function of the C library, or None where there is no such function (not glibc)."""
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    try:
        function = getattr(ctypes.CDLL(library), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = argtypes
    function.restype = ctypes.c_int
    return function
