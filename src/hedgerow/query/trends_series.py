"""One trends series over one date range: a value per interval (and per breakdown value).

Maths: `total` (events), `dau` (unique persons after merges), `weekly_active` and
`monthly_active` (unique persons active in the 7 or 30 days that end with each interval;
plain unique persons when the interval is as long as the window or longer), `unique_session`
(distinct `$session_id`), and `sum`, `avg`, `min`, `max`, `median`, `p75`, `p90`, `p95`,
`p99` of a numeric property (`math_property`; values that are not numbers are skipped;
percentiles interpolate linearly between the two nearest values).

A breakdown keeps the `breakdown_limit` values (default 25) with the highest value over the
whole range (unique persons for the active-users maths, the event count for averages,
extremes and percentiles); the rest is one "other" value unless hidden. An absent or empty
property is the null value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hedgerow.errors import BadRequest
from hedgerow.query.core import Compiler, QueryEnv
from hedgerow.query.timerange import TimeRange, bucket_of_unit_sql, unit_sql
from hedgerow.query.web_daily_trend import daily_visitors
from hedgerow.store.schema import EVENTS_TABLE

NULL_VALUE = "$$_posthog_breakdown_null_$$"
OTHER_VALUE = "$$_posthog_breakdown_other_$$"
DEFAULT_BREAKDOWN_LIMIT = 25

_QUANTILES = {"median": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99}
PROPERTY_MATHS = ("sum", "avg", "min", "max", *_QUANTILES)
ACTIVE_DAYS = {"weekly_active": 7, "monthly_active": 30}
MATHS = ("total", "dau", *ACTIVE_DAYS, "unique_session", *PROPERTY_MATHS)
_INTERVAL_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "month": 28}


@dataclass(frozen=True)
class Breakdown:
    key: str
    source: str  # "event" or "person"
    limit: int = DEFAULT_BREAKDOWN_LIMIT
    hide_other: bool = False


@dataclass
class SeriesData:
    """Breakdown value (None without a breakdown) -> bucket key -> value, values in order."""

    values: dict[str | None, dict[str, float]] = field(default_factory=dict)
    order: list[str | None] = field(default_factory=list)
    pre_aggregated: bool = False  # read from the web analytics pre-aggregate


def series_math(node: dict[str, Any]) -> str:
    math = node.get("math") or "total"
    if math not in MATHS:
        raise BadRequest(
            f"Unknown math {math!r}; use one of {', '.join(MATHS)}.", code="invalid_query"
        )
    if math in PROPERTY_MATHS and not isinstance(node.get("math_property"), str):
        raise BadRequest(
            f"The math {math!r} needs `math_property`: the numeric property to aggregate.",
            code="invalid_query",
        )
    return str(math)


def _number(value: Any) -> float:
    if value is None:
        return 0
    if isinstance(value, str):
        value = int(value) if value.lstrip("-").isdigit() else float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return 0
    return int(value) if isinstance(value, int) else float(value)


class _SeriesSql:
    def __init__(self, env: QueryEnv, node: dict[str, Any], filters: Any, tr: TimeRange) -> None:
        self.c = Compiler(env)
        self.env, self.tr = env, tr
        self.math = series_math(node)
        self.tz = self.c.params.string(env.timezone)
        self.person = self.c.person_key() if self.math in ("dau", *ACTIVE_DAYS) else ""
        self.where = [self.c.team(), self.c.entity(node)]
        extra = self.c.filters(filters)
        if extra:
            self.where.append(extra)
        self.value = ""
        if self.math in PROPERTY_MATHS:
            source = "person" if node.get("math_property_type") == "person_properties" else "event"
            text = self.c.reader.text(source, node["math_property"])
            self.value = f"toFloat64OrNull({text})"
        days = ACTIVE_DAYS.get(self.math, 0)
        self.rolling = days if days > _INTERVAL_DAYS[tr.interval] else 0

    def aggregate(self, ranking: bool = False) -> str:
        math = self.math
        if math == "total" or (ranking and math in PROPERTY_MATHS and math != "sum"):
            return "count()"
        if math in ("dau", *ACTIVE_DAYS):
            return f"uniqExact({self.person})"
        if math == "unique_session":
            return "uniqExactIf(`$session_id`, `$session_id` != '')"
        if math in _QUANTILES:
            return f"quantileExactInclusive({_QUANTILES[math]})({self.value})"
        return f"{math}({self.value})"

    def range_where(self, lookback_days: int = 0) -> str:
        start = self.tr.utc_start() - timedelta(days=lookback_days)
        return " AND ".join([*self.where, *self.c.between(start, self.tr.utc_end())])

    def run(self, sql: str) -> list[list[Any]]:
        return self.c.run(sql).rows


def breakdown_sql(c: Compiler, breakdown: Breakdown) -> str:
    if breakdown.source == "hogql":  # `event`: the event's name (the only one taken)
        text = "event"
    else:
        text = c.reader.text(breakdown.source, breakdown.key)
    return f"if({text} = '', {c.params.string(NULL_VALUE)}, {text})"


def compute_series(
    env: QueryEnv,
    node: dict[str, Any],
    filters: Any,
    tr: TimeRange,
    breakdown: Breakdown | None,
    *,
    whole: bool = False,
) -> SeriesData:
    """Per interval; or with `whole`, one value over the whole range (bucket key `""`). The
    `/web` chart's series (daily unique persons of page views, bots left out) is read from
    the web analytics pre-aggregate when it can be (`web_daily_trend.py`)."""
    s = _SeriesSql(env, node, filters, tr)
    data = SeriesData()
    data.order, group = breakdown_group(s, breakdown)
    found = None
    if breakdown is None and not whole and not s.rolling:
        found = daily_visitors(env, node, filters, tr)
    if found is not None:
        rows, data.pre_aggregated = found, True
    elif whole:
        rows = s.run(
            f"SELECT '' AS bucket, {group} AS bv, {s.aggregate(ranking=s.math in ACTIVE_DAYS)} "
            f"AS value FROM {EVENTS_TABLE} WHERE {s.range_where()} GROUP BY bv"
        )
    elif s.rolling:
        rows = _rolling_rows(s, group)
    else:
        rows = _plain_rows(s, group)
    for value in data.order:
        data.values[value] = {}
    for bucket, bv, value in rows:
        key = None if breakdown is None else str(bv)
        if key in data.values:
            data.values[key][str(bucket)] = _number(value)
    return data


def breakdown_group(s: _SeriesSql, breakdown: Breakdown | None) -> tuple[list[str | None], str]:
    """The breakdown values shown, in order, and the SQL of each event's group: its value
    when among the top `breakdown_limit` (ranked over the whole range), else "other"."""
    if breakdown is None:
        return [None], "''"
    c = s.c
    raw = breakdown_sql(c, breakdown)
    ranked = s.run(
        f"SELECT {raw} AS bv, {s.aggregate(ranking=True)} AS value "
        f"FROM {EVENTS_TABLE} WHERE {s.range_where()} "
        f"GROUP BY bv ORDER BY value DESC, bv ASC LIMIT {breakdown.limit + 1}"
    )
    top = [str(row[0]) for row in ranked[: breakdown.limit]]
    other = len(ranked) > breakdown.limit and not breakdown.hide_other
    top_sql = c.params.strings(top)
    if breakdown.hide_other:
        s.where.append(f"has({top_sql}, {raw})")
    group = f"if(has({top_sql}, {raw}), {raw}, {c.params.string(OTHER_VALUE)})"
    return [*top, *([OTHER_VALUE] if other else [])], group


def series_actors(
    env: QueryEnv,
    node: dict[str, Any],
    filters: Any,
    tr: TimeRange,
    breakdown: Breakdown | None,
    bucket_key: str | None,
    value: str | None,
) -> tuple[Compiler, str]:
    """The persons behind one point of a series (the interval with this bucket key, or the
    whole range for None, and this breakdown value): `person` (key) and `events` (their
    matching events in it). Built from the same conditions, bucket and breakdown group as
    the point's value."""
    s = _SeriesSql(env, node, filters, tr)
    if s.rolling:
        raise BadRequest(
            "The persons behind a weekly or monthly active users point are not available; "
            "use math 'dau'.",
            code="invalid_query",
        )
    _order, group = breakdown_group(s, breakdown)
    c = s.c
    bucket = bucket_of_unit_sql(tr.interval, unit_sql(tr.interval, s.tz))
    where = [s.range_where()]
    if bucket_key is not None:
        where.append(f"{bucket} = {c.params.string(bucket_key)}")
    if breakdown is not None:
        where.append(f"{group} = {c.params.string(value or '')}")
    return c, (
        f"SELECT {c.person_key()} AS person, count() AS events FROM {EVENTS_TABLE} "
        f"WHERE {' AND '.join(where)} GROUP BY person"
    )


def _plain_rows(s: _SeriesSql, group: str) -> list[list[Any]]:
    bucket = bucket_of_unit_sql(s.tr.interval, unit_sql(s.tr.interval, s.tz))
    return s.run(
        f"SELECT {bucket} AS bucket, {group} AS bv, {s.aggregate()} AS value "
        f"FROM {EVENTS_TABLE} WHERE {s.range_where()} GROUP BY bucket, bv"
    )


def _rolling_rows(s: _SeriesSql, group: str) -> list[list[Any]]:
    """Active users in the window ending with each interval: every (person, local day or
    hour) is spread over the following window, then counted per interval it ends."""
    interval, params = s.tr.interval, s.c.params
    hourly = interval == "hour"
    units = s.rolling * 24 if hourly else s.rolling
    add = "addHours" if hourly else "addDays"
    last_start = s.tr.bucket_starts()[-1]
    if hourly:
        first = f"toDateTime({params.integer(int(s.tr.start.timestamp()))})"
        last = f"toDateTime({params.integer(int(last_start.timestamp()))})"
    else:
        first = f"toDate({params.string(s.tr.start.date().isoformat())})"
        last = f"toDate({params.string(s.tr.end.date().isoformat())})"
    ends_interval = {
        "hour": "1",
        "day": "1",
        "week": "toDayOfWeek(u2) = 6",
        "month": "u2 = toLastDayOfMonth(u2)",
    }[interval]
    unit = unit_sql(interval, s.tz)
    return s.run(
        f"SELECT {bucket_of_unit_sql(interval, 'u2')} AS bucket, bv, uniqExact(person) AS value "
        f"FROM (SELECT person, bv, arrayJoin(arrayMap(k -> {add}(unit, k), range({units}))) AS u2 "
        f"FROM (SELECT DISTINCT {s.person} AS person, {group} AS bv, {unit} AS unit "
        f"FROM {EVENTS_TABLE} WHERE {s.range_where(lookback_days=s.rolling + 1)})) "
        f"WHERE u2 >= {first} AND u2 <= {last} AND ({ends_interval} OR u2 = {last}) "
        "GROUP BY bucket, bv"
    )
