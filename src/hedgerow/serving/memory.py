"""Keep glibc's malloc from growing the server process: two arenas, a fixed threshold for
mapping large blocks, and free pages trimmed regularly.

glibc gives each new thread an arena of its own until there are eight per core. The server's
threads come and go (anyio's API workers end after 10 s idle), each leaves memory freed in
its arena that only that arena can reuse, and the process's heap grew steadily in the soak
while the memory in use stayed flat (docs/benchmarks.md, "Soak and overload"). Two arenas are
enough for a process whose Python threads take turns on the GIL anyway.

Large blocks (query results, insert buffers, request bodies) are the other source of growth.
glibc maps a block of at least M_MMAP_THRESHOLD bytes on its own and unmaps it when freed, but
the threshold is dynamic: each freed mapped block raises it to that block's size, up to 32 MiB,
and from then on blocks of that size are carved out of the heap, where freeing them leaves
holes. In the soak the heap (mallinfo's `arena`) grew from 224 to 467 MiB in 30 minutes while
the bytes in use stayed near 100 MiB; with the threshold fixed at 128 KiB it stayed at 165 MiB
(docs/benchmarks.md, "Soak and overload").

`MALLOC_ARENA_MAX` and `MALLOC_MMAP_THRESHOLD_` in the environment, read by glibc itself at
start, win: we only call `mallopt` for the ones not set. On a C library without `mallopt`
(musl, macOS) nothing happens.
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
M_MMAP_THRESHOLD = -3
DEFAULT_ARENAS = 2


def limit_malloc_arenas(arenas: int = DEFAULT_ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; True when applied."""
    return _mallopt("MALLOC_ARENA_MAX", M_ARENA_MAX, arenas)


def fix_mmap_threshold(size: int) -> bool:
    """Map every block of `size` bytes or more on its own, for good (glibc stops moving the
    threshold once it is set); True when applied. 0 leaves glibc's dynamic threshold."""
    return size > 0 and _mallopt("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, size)


def _mallopt(variable: str, option: int, value: int) -> bool:
    if os.environ.get(variable):
        return False
    mallopt = _libc_function("mallopt", [ctypes.c_int, ctypes.c_int])
    if mallopt is None:
        return False
    applied = bool(mallopt(option, value))
    if not applied:
        log.warning("could not set malloc option %d to %d", option, value)
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
