"""The server hands free heap pages back to the system (hedgerow.serving.memory.HeapTrimmer).

In a fresh interpreter, 2,000 blocks of 64 KiB (below glibc's mmap threshold, so on the heap)
are allocated and every other one freed: the freed half stays resident until a trim, and a
trim releases most of it. Measured through /proc/self/statm."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from hedgerow.serving.memory import HeapTrimmer

FRAGMENT_THEN_TRIM = textwrap.dedent(
    """
    import ctypes, os, sys
    from hedgerow.serving.memory import HeapTrimmer
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    page = os.sysconf("SC_PAGE_SIZE")
    def resident():
        return int(open("/proc/self/statm").read().split()[1]) * page
    blocks = [libc.malloc(64 * 1024) for _ in range(2000)]
    for block in blocks:
        ctypes.memset(block, 1, 64 * 1024)  # touch every page
    for block in blocks[::2]:
        libc.free(block)
    before = resident()
    if sys.argv[1] == "trim":
        assert HeapTrimmer(30).trim()
    print(before - resident())
    """
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="glibc only",
)


def released(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", FRAGMENT_THEN_TRIM, mode],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return int(done.stdout)


def test_a_trim_gives_freed_heap_pages_back() -> None:
    # 1,000 freed blocks of 64 KiB are 62.5 MiB; whole pages inside them go back.
    assert released("trim") > 40 * 1024**2


def test_without_a_trim_the_freed_pages_stay_resident() -> None:
    assert released("keep") < 5 * 1024**2


def test_the_trimmer_runs_in_the_background_and_stops() -> None:
    trimmer = HeapTrimmer(0.01)
    calls: list[float] = []
    trimmer._trim = lambda: calls.append(time.monotonic()) or 1  # type: ignore[assignment]
    assert trimmer.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3:
        assert time.monotonic() < deadline, "the trimmer never ran"
        time.sleep(0.01)
    trimmer.stop()
    assert trimmer._thread is not None and not trimmer._thread.is_alive()


def test_an_interval_of_zero_turns_it_off() -> None:
    assert HeapTrimmer(0).start() is False
