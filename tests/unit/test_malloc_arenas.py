"""The server caps glibc's malloc arenas (hedgerow.serving.memory): threads started after
the cap share two arenas instead of getting one each. Counted with glibc's `malloc_info`,
in a fresh interpreter per case, because the cap only applies to arenas made later."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

COUNT_ARENAS = textwrap.dedent(
    """
    import ctypes, sys, threading
    from hedgerow.serving.memory import limit_malloc_arenas
    if sys.argv[1] == "limit":
        print("applied", limit_malloc_arenas())
    libc = ctypes.CDLL("libc.so.6")
    start = threading.Barrier(8)
    def allocate():
        start.wait()
        blocks = [ctypes.create_string_buffer(4096) for _ in range(200)]
        start_done.wait()
    start_done = threading.Barrier(8)
    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    path = sys.argv[2].encode()
    out = libc.fopen(path, b"w")
    libc.malloc_info(0, out)
    libc.fclose(out)
    print("heaps", open(path).read().count("<heap nr="))
    """
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="glibc only",
)


def heaps(tmp_path, mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", COUNT_ARENAS, mode, str(tmp_path / f"{mode}.xml")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


def test_threads_share_two_arenas_once_limited(tmp_path) -> None:
    limited = heaps(tmp_path, "limit")
    assert limited["applied"] == "True"
    assert int(limited["heaps"]) <= 2


def test_without_the_limit_threads_get_arenas_of_their_own(tmp_path) -> None:
    # The baseline that makes the test above mean something: glibc would otherwise make
    # more than two arenas for eight threads allocating at once.
    assert int(heaps(tmp_path, "plain")["heaps"]) > 2


def test_the_environment_wins(tmp_path, monkeypatch) -> None:
    from hedgerow.serving.memory import limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
