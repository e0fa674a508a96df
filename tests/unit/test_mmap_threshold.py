"""The server fixes glibc's mmap threshold (hedgerow.serving.memory.fix_mmap_threshold): a
large block is mapped on its own even after a larger mapped block was freed, which would
otherwise raise glibc's threshold and put the next large blocks into the heap, where freeing
them leaves holes. Checked with mallinfo2's count of mapped blocks, in a fresh interpreter
per case, because the threshold moves with everything the process allocated before."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

MAPPED_AFTER_A_LARGER_FREE = textwrap.dedent(
    """
    import ctypes, sys
    from hedgerow.serving.memory import fix_mmap_threshold

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    if sys.argv[1] == "fixed":
        print("applied", fix_mmap_threshold(128 * 1024))
    big = libc.malloc(8 * 1024 * 1024)  # mapped: over glibc's first threshold of 128 KiB
    libc.free(big)  # glibc's moving threshold now rises to 8 MiB
    before = libc.mallinfo2().hblks
    block = libc.malloc(1024 * 1024)
    print("mapped", libc.mallinfo2().hblks - before)
    libc.free(block)
    """
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="glibc only",
)


def mapped_blocks(mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    done = subprocess.run(
        [sys.executable, "-c", MAPPED_AFTER_A_LARGER_FREE, mode],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


def test_a_fixed_threshold_maps_large_blocks_for_good() -> None:
    fixed = mapped_blocks("fixed")
    assert fixed["applied"] == "True"
    assert fixed["mapped"] == "1"


def test_without_it_the_moving_threshold_puts_them_in_the_heap() -> None:
    # The baseline that makes the test above mean something.
    assert mapped_blocks("moving")["mapped"] == "0"


def test_zero_and_the_environment_leave_glibc_alone(monkeypatch) -> None:
    from hedgerow.serving.memory import fix_mmap_threshold

    assert fix_mmap_threshold(0) is False
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert fix_mmap_threshold(128 * 1024) is False
