"""The result cache on its own: expiry by its clock, the two bounds, one project cleared."""

from __future__ import annotations

from hedgerow.query.result_cache import ResultCache


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_answered_until_it_is_ttl_seconds_old() -> None:
    clock = Clock()
    cache = ResultCache(300, clock=clock)
    cache.put(1, "k", b'{"results":[1]}', clock.now)
    clock.now += 299.9
    found = cache.get("k")
    assert found is not None and found.body == b'{"results":[1]}' and found.computed_at == 1_000.0
    clock.now += 0.1
    assert cache.get("k") is None
    assert cache.size == (0, 0)  # dropped, not only hidden


def test_least_recently_used_go_first_past_either_bound() -> None:
    clock = Clock()
    cache = ResultCache(300, max_entries=3, max_bytes=400, clock=clock)
    for key in "abc":
        cache.put(1, key, b"x" * 50, clock.now)
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put(1, "d", b"x" * 50, clock.now)
    assert [k for k in "abcd" if cache.get(k)] == ["a", "c", "d"]
    cache.put(1, "e", b"x" * 100, clock.now)  # 250 bytes in 3 entries: b is gone already
    cache.put(1, "f", b"x" * 100, clock.now)
    assert cache.size[1] <= 400 and cache.size[0] <= 3
    cache.put(1, "huge", b"x" * 101, clock.now)  # over a quarter of the bytes: not kept
    assert cache.get("huge") is None and cache.get("f") is not None


def test_clear_forgets_one_project() -> None:
    cache = ResultCache(300)
    cache.put(1, "one", b"{}", 0)
    cache.put(2, "two", b"{}", 0)
    cache.clock = lambda: 1.0
    assert cache.clear(1) == 1
    assert cache.get("one") is None and cache.get("two") is not None


def test_a_ttl_of_zero_keeps_nothing() -> None:
    cache = ResultCache(0)
    cache.put(1, "k", b"{}", 0)
    assert cache.size == (0, 0)
