"""`FunnelsQuery` with `funnelVizType: "time_to_convert"`: how long persons took, as bins.

The persons are those who reached step `funnelToStep` (0 first; default the last step),
counted with the attempt the steps view counts; each one's time is from its
`funnelFromStep` (default 0) to its `funnelToStep`, in seconds. The bins run from the
shortest time rounded down to the longest rounded up, `binCount` of them (clamped to 1 to
90; by default the cube root of the number of persons, rounded up, at most 60), each as
wide as the range over the count rounded up to a second (60 seconds when all times round
to the same second); a bin is `[seconds_from, persons]` and holds the times from its start
to the next bin's. One more bin follows the last, for the time that ends the range exactly.
`average_conversion_time` is the mean of the times (2 decimals). As PostHog answers it.
"""

from __future__ import annotations

from typing import Any

from hedgerow.errors import BadRequest

MAX_BINS = 90
MAX_AUTO_BINS = 60
SAME_SECOND_WIDTH = 60  # the width of the bins when every time rounds to the same second


def _step(spec: dict[str, Any], field: str, default: int, low: int, high: int) -> int:
    value = spec.get(field)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadRequest(
            f"`{field}` must be a step number from {low} to {high} (0 is the first step) "
            "for a time-to-convert funnel.",
            code="invalid_query",
        )
    return value


def _bin_count(spec: dict[str, Any]) -> int | None:
    """The bins asked for, clamped to 1..90 as PostHog does; None: worked out from the data."""
    value = spec.get("binCount")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest("`binCount` must be an integer.", code="invalid_query")
    return min(MAX_BINS, max(1, value))


def time_to_convert_sql(chains: str, query: dict[str, Any], steps: int, broken_down: bool) -> str:
    """One row: persons, the first bin's start, the bins' width, the average time and the
    persons per bin (an array), from the funnel's chains (see `funnel_chains`)."""
    if steps < 2:
        raise BadRequest("A time-to-convert funnel needs at least two steps.", code="invalid_query")
    if broken_down:
        raise BadRequest(
            "A time-to-convert funnel has no breakdown: remove `breakdownFilter`, or use "
            "funnelVizType 'steps'.",
            code="invalid_query",
        )
    spec = query.get("funnelsFilter") or {}
    last = steps - 1
    to_step = _step(spec, "funnelToStep", last, 1, last)
    from_step = _step(spec, "funnelFromStep", 0, 0, to_step - 1)
    count = _bin_count(spec)
    bins = (
        str(count)
        if count is not None
        else f"least({MAX_AUTO_BINS}, greatest(1, ceil(cbrt(persons))))"
    )
    seconds = f"(chain[{to_step + 1}] - chain[{from_step + 1}]) / 1e3"
    return (
        "SELECT persons, low, width, average, counts FROM (SELECT count() AS persons, "
        "floor(min(t)) AS low, ceil(max(t)) AS high, round(avg(t), 2) AS average, "
        f"{bins} AS bin_count, ceil((high - low) / bin_count) AS raw_width, "
        f"if(raw_width > 0, raw_width, {SAME_SECOND_WIDTH}) AS width, "
        "arrayMap(x -> toUInt32(floor((x - low) / width)), groupArray(t)) AS slots, "
        "arrayMap(k -> countEqual(slots, k), range(toUInt32(bin_count) + 1)) AS counts "
        f"FROM (SELECT {seconds} AS t FROM ({chains}) WHERE length(chain) > {to_step}))"
    )


def time_to_convert_results(row: list[Any]) -> dict[str, Any]:
    """`{"bins": [[seconds_from, persons], ...], "average_conversion_time"}` from the row."""
    persons, low, width, average, counts = row
    if not int(persons):
        return {"bins": [[0, 0], [1, 0]], "average_conversion_time": None}
    start, step = int(float(low)), int(float(width))
    return {
        "bins": [[start + k * step, int(n)] for k, n in enumerate(counts)],
        "average_conversion_time": float(average),
    }
