"""Funnels by brute force, for the funnel tests: each person's counted attempt (the times
of the steps it reached), and the time-to-convert histogram of those attempts, written out
from their definitions (docs/queries.md), never from Hedgerow's code."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

# person -> [(time, event, plan)], times in any one unit (the window is in the same unit).
People = Mapping[str, Sequence[tuple[float, str, str | None]]]

SAME_SECOND_WIDTH = 60


def chains(people: People, order: str, window: float, steps: list[str]) -> dict[str, list[float]]:
    """person -> the step times of the counted attempt (`steps` may repeat an event, except
    for `unordered`)."""
    result = {}
    for person, events in people.items():
        events = sorted(events)
        best: list[float] = []
        if order == "unordered":
            for end, _, _ in events:
                latest = {}
                for t, name, _ in events:
                    if name in steps and end - window <= t <= end:
                        latest[name] = t
                found = sorted(float(t) for t in latest.values())
                if len(found) > len(best):
                    best = found
            result[person] = best
            continue
        sequence = events if order == "strict" else [e for e in events if e[1] in steps]
        for size in range(len(steps), 0, -1):
            attempts = []
            for picked in itertools.combinations(range(len(sequence)), size):
                if order == "strict" and any(b - a != 1 for a, b in itertools.pairwise(picked)):
                    continue
                if [sequence[i][1] for i in picked] != steps[:size]:
                    continue
                times = [float(sequence[i][0]) for i in picked]
                if times != sorted(times) or len(set(times)) != len(times):
                    continue
                if times[-1] - times[0] <= window:
                    attempts.append(times)
            if attempts:
                # The first attempt to get this far: earliest completion, then latest start,
                # then each step as early as possible.
                done = min(a[-1] for a in attempts)
                start = max(a[0] for a in attempts if a[-1] == done)
                best = min(a for a in attempts if a[0] == start)
                break
        result[person] = best
    return result


def histogram(seconds: list[float], bin_count: int | None) -> tuple[list[list[int]], float | None]:
    """The time-to-convert bins `[[seconds_from, persons], ...]` and the average."""
    if not seconds:
        return [[0, 0], [1, 0]], None
    if bin_count is None:
        bin_count = 1
        while bin_count**3 < len(seconds):  # the cube root, rounded up, exactly
            bin_count += 1
        bin_count = min(60, bin_count)
    else:
        bin_count = min(90, max(1, bin_count))
    low, high = math.floor(min(seconds)), math.ceil(max(seconds))
    width = math.ceil((high - low) / bin_count) or SAME_SECOND_WIDTH
    counts = [0] * (bin_count + 1)
    for value in seconds:
        counts[math.floor((value - low) / width)] += 1
    bins = [[low + k * width, n] for k, n in enumerate(counts)]
    return bins, round(sum(seconds) / len(seconds), 2)
