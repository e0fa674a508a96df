"""The heaviest moves of a paths answer, chosen without sorting every move: the same edges,
order and ties as sorting them all (the reference below)."""

from __future__ import annotations

import random

from hedgerow.query.paths import _top_edges


def _by_full_sort(moves: list[tuple[int, int, str, str]], limit: int) -> list[tuple[int, str, str]]:
    every = sorted((-v, f"{s}_{a}", f"{s + 1}_{b}") for v, s, a, b in moves)
    return every[:limit]


def test_ties_at_the_limit_are_broken_by_node_names_like_a_full_sort() -> None:
    moves = [(5, 1, "/b", "/c"), (3, 1, "/z", "/a"), (3, 1, "/a", "/z"), (3, 10, "/a", "/b")]
    assert _top_edges(moves, 2) == [(-5, "1_/b", "2_/c"), (-3, "10_/a", "11_/b")]
    assert _top_edges(moves, 2) == _by_full_sort(moves, 2)


def test_many_random_moves_give_what_a_full_sort_gives() -> None:
    rng = random.Random(7)
    for _ in range(50):
        moves = [
            (
                rng.randint(1, 6),
                rng.randint(1, 12),
                f"/{rng.randrange(10)}",
                f"/{rng.randrange(10)}",
            )
            for _ in range(rng.randrange(300))
        ]
        for limit in (1, 5, 50, 400):
            assert _top_edges(moves, limit) == _by_full_sort(moves, limit)
