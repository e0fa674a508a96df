"""The answer of a `RetentionQuery`: cohort rows in PostHog's shape, and the mean curve.

Each row is `{"date", "label": "Week 3", "values": [{"count", "percentage", "label"}],
"people_count"}` (and `breakdown_value` with a breakdown). A row has a value for each
period whose interval is in the range (period 0 first), so later cohorts have fewer.
`means` has one curve per breakdown value: per period, the mean percentage of the cohorts
that have that period complete (its interval is over) and at least one person; `weighted`
(the default) weights each cohort by its size, which equals the returning persons of those
cohorts over their sizes; `simple` averages the percentages (PostHog's two ways).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hedgerow.query.core import QueryEnv
from hedgerow.query.timerange import TimeRange, next_interval
from hedgerow.query.trends_series import OTHER_VALUE, Breakdown

# (breakdown value, cohort, period, persons)
Cell = tuple[str, int, int, int]


def _group(cells: list[Cell], breakdown: Breakdown | None) -> dict[str, dict[tuple[int, int], int]]:
    """Breakdown value -> (cohort, period) -> persons, with the values past the limit as one."""
    sizes: dict[str, int] = {}
    for value, _, period, count in cells:
        if period == 0:
            sizes[value] = sizes.get(value, 0) + count
    ranked = sorted(sizes, key=lambda v: (-sizes[v], v))
    kept = ranked if breakdown is None else ranked[: breakdown.limit]
    groups: dict[str, dict[tuple[int, int], int]] = {value: {} for value in kept}
    if breakdown is not None and len(ranked) > len(kept) and not breakdown.hide_other:
        groups[OTHER_VALUE] = {}
    for value, cohort, period, count in cells:
        key = value if value in kept else OTHER_VALUE
        if key in groups:
            groups[key][(cohort, period)] = groups[key].get((cohort, period), 0) + count
    if not groups:
        groups[""] = {}
    return groups


def cohorts_answer(
    env: QueryEnv,
    tr: TimeRange,
    settings: dict[str, Any],
    cells: list[Cell],
    breakdown: Breakdown | None,
) -> dict[str, Any]:
    starts = tr.bucket_starts()
    total, name = settings["total"], settings["period"]
    now = datetime.now(UTC)
    results: list[dict[str, Any]] = []
    means: list[dict[str, Any]] = []
    for value, counts in _group(cells, breakdown).items():
        complete: list[list[tuple[int, float]]] = [[] for _ in range(total)]
        for cohort, start in enumerate(starts):
            size = counts.get((cohort, 0), 0)
            values = []
            for period in range(min(total, len(starts) - cohort)):
                count = counts.get((cohort, period), 0)
                percentage = 100 * count / size if size else 0.0
                label = f"{name} {period}"
                values.append({"count": count, "percentage": percentage, "label": label})
                over = next_interval(starts[cohort + period], tr.interval) <= now
                if size and over:
                    complete[period].append((size, percentage))
            row: dict[str, Any] = {
                "date": start.isoformat(),
                "label": f"{name} {cohort}",
                "people_count": size,
                "values": values,
            }
            if breakdown is not None:
                row["breakdown_value"] = value
            results.append(row)
        means.append(
            {
                "breakdown_value": value if breakdown is not None else None,
                "label": "Mean",
                "data": [_mean(found, settings["mean"]) for found in complete],
            }
        )
    return {
        "results": results,
        "means": [] if settings["mean"] == "none" else means,
        "meanRetentionCalculation": settings["mean"],
        "timezone": env.timezone,
        "resolved_date_range": tr.as_json(),
        "hasMore": False,
        "is_cached": False,
    }


def _mean(found: list[tuple[int, float]], how: str) -> float | None:
    """None when no cohort has the period complete."""
    if not found:
        return None
    if how == "simple":
        return sum(p for _, p in found) / len(found)
    return sum(size * p for size, p in found) / sum(size for size, _ in found)
