"""Answering the web analytics queries from the pre-aggregate (`store/web_daily_schema.py`).

A query is answered here when the pre-aggregate can answer it exactly: whole days in the
project's time zone (the one the days were built in), no filter but one `$host` (exact)
filter, bots left out. Path cleaning is applied to the rows' values. The days the
pre-aggregate lists are read from `web_daily` (a provisional day only while its fingerprint
holds: `web_daily_fresh.py`); the others in the range (a provisional day events came for
since it was built, a day taken out and not built again yet) are made from the raw events
by the same SELECT that builds them (`web_daily_rows.py`), and both are merged. Anything
else, or a range with no listed day, goes to the raw path (`web_scope.py`), which is also
the tests' reference. The listing is read before the statement and checked after it
(`from_days`): a day taken out meanwhile (or a build replaced minutes ago that left the
listing) makes the answer again.

Visitors: the persons' bitmaps of the rows kept are merged (`groupBitmapMerge`), exact;
persons merged since the rows were built are counted once through the override map, as the
raw path counts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import TypeVar

from hedgerow.query.core import Compiler
from hedgerow.query.web_daily_fresh import fingerprints
from hedgerow.query.web_daily_rows import ENTRY, ONE_DAY, rows_sql
from hedgerow.query.web_scope import WebScope
from hedgerow.store.schema import DATABASE, INDEX_MAP, PERSON_KEY
from hedgerow.store.web_daily_schema import ROWS_FORMAT, WEB_DAILY, WEB_DAILY_DAYS

LAST_MOMENT = time(23, 59, 59, 999999)
T = TypeVar("T")
ATTEMPTS = 3  # answers made again when the days read changed meanwhile, then the raw path
# `ROW_COLUMNS` as stored (read as `t_*`), with the types `rows_sql` gives them (UNION ALL)
STORED = (
    "kind AS t_kind, day, session_day, host, first_host, value, views AS t_views, persons, "
    "sessions AS t_sessions, bounces AS t_bounces, duration AS t_duration"
)
TYPED = (
    "toString(t_kind) AS kind, day, session_day, host, first_host, value, "
    "toUInt64(t_views) AS views, persons, toUInt64(t_sessions) AS sessions, "
    "toUInt64(t_bounces) AS bounces, toInt64(t_duration) AS duration"
)


@dataclass
class DailyPlan:
    scope: WebScope
    host: str | None
    covered: dict[date, int]  # day -> the build of its rows
    uncovered: list[tuple[date, date]]  # runs of days made from raw events

    def rows(self, kinds: list[str]) -> str:
        """The rows of `kinds` for every day of the range, listed or made."""
        c = self.scope.compiler
        wanted = ", ".join(c.params.string(k) for k in kinds)
        builds = ", ".join(
            f"(toDate({c.params.string(d.isoformat())}), {int(b)})" for d, b in self.covered.items()
        )
        stored = (
            f"SELECT {STORED} FROM {WEB_DAILY} WHERE {c.team()} "
            f"AND kind IN ({wanted}) AND (day, build) IN ({builds})"
        )
        parts = [f"SELECT {TYPED} FROM ({stored})"]
        for first, last in self.uncovered:
            parts.append(rows_sql(c, c.env.timezone, first, last, kinds))
        return " UNION ALL ".join(f"SELECT * FROM ({part})" for part in parts)

    def kept(self) -> str:
        """Rows that count in a period (the session's start day and the page view's in it),
        on the host asked for, or the first host's session rows when none was."""
        c = self.scope.compiler
        current = self.scope.current
        periods = [current, *([self.scope.previous] if self.scope.previous else [])]
        terms = []
        for period in periods:
            start = c.params.string(period.start.date().isoformat())
            end = c.params.string(period.end.date().isoformat())
            terms.append(f"(session_day >= toDate({start}) AND day <= toDate({end}))")
        host = (
            f"host = {c.params.string(self.host)}"
            if self.host is not None
            else f"(kind != '{ENTRY}' OR first_host = 1)"
        )
        return f"({' OR '.join(terms)}) AND {host}"

    def still_listed(self) -> bool:
        """Whether every build read is still listed: then none of its rows was deleted
        before the statement read them (rows go only after their build left the listing:
        erasure, retention and the squash take days out at once; a build replaced by a newer
        one leaves the listing minutes later, and its rows after that)."""
        if not self.covered:
            return True
        c = self.scope.compiler
        builds = ", ".join(f"(toDate('{d}'), {int(b)})" for d, b in self.covered.items())
        found = c.env.store.query(
            f"SELECT uniqExact(day, build) FROM {WEB_DAILY_DAYS} "
            f"WHERE team_id = {int(c.env.team_id)} AND (day, build) IN ({builds})"
        ).rows
        return int(found[0][0]) == len(self.covered)

    def in_current(self) -> str:
        start = self.scope.current.start.date().isoformat()
        return f"session_day >= toDate({self.scope.compiler.params.string(start)})"


def visitors_sql(c: Compiler) -> str:
    """The distinct persons of the merged bitmaps, through the override map when merges
    are pending (as `Compiler.person_key` counts them)."""
    if c.person_key() == PERSON_KEY:
        return "groupBitmapMerge(persons)"
    lookup = f"dictGetOrDefault('{DATABASE}.{INDEX_MAP}', 'person_idx', x, x)"
    return f"arrayUniq(arrayMap(x -> {lookup}, bitmapToArray(groupBitmapOrState(persons))))"


def _host(scope: WebScope) -> tuple[bool, str | None]:
    """Whether the filters allow the pre-aggregate, and the host they keep (if any)."""
    f = scope.filters
    if f.paths or f.sessions or len(f.events) > 1:
        return False, None
    if not f.events:
        return True, None
    spec = f.events[0]
    if not isinstance(spec, dict) or spec.get("key") != "$host":
        return False, None
    if spec.get("type", "event") != "event" or spec.get("operator", "exact") != "exact":
        return False, None
    value = spec.get("value")
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return (True, value) if isinstance(value, str) and value else (False, None)


def _whole_days(scope: WebScope) -> bool:
    current = scope.current
    return (
        current.interval == "day"
        and current.start.time() == time(0)
        and current.end.time() == LAST_MOMENT
    )


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + ONE_DAY == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def from_days(scope: WebScope, answer: Callable[[DailyPlan], T]) -> T | None:
    """`answer` from the pre-aggregate, or None for the raw path. The listing is read
    before the statement runs: when a build read is no longer listed once it has run (a day
    taken out meanwhile, or a replaced build gone), the rows may have gone first, so the
    answer is made again from the listing as it is then (a few times, then raw)."""
    for _ in range(ATTEMPTS):
        plan = daily_plan(scope)
        if plan is None:
            return None
        found = answer(plan)
        if plan.still_listed():
            return found
    return None


def daily_plan(scope: WebScope) -> DailyPlan | None:
    """How to answer from the pre-aggregate, or None for the raw path."""
    allowed, host = _host(scope)
    if not allowed or scope.include_bots or not _whole_days(scope):
        return None
    covered = listed_days(scope.compiler, scope.first.start.date(), scope.current.end.date())
    if not covered:
        return None
    first, last = scope.first.start.date(), scope.current.end.date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return DailyPlan(scope, host, covered, _runs([d for d in days if d not in covered]))


def listed_days(c: Compiler, first: date, last: date) -> dict[date, int]:
    """The days from `first` to `last` the pre-aggregate can answer, with the build to
    read: listed in the project's time zone and the current rows format, and, when
    provisional, still with the events they were built from."""
    listed = c.env.store.query(
        f"SELECT toString(day), max(build), argMax(provisional, build), "
        f"argMax(fingerprint, build) FROM {WEB_DAILY_DAYS} "
        f"WHERE team_id = {int(c.env.team_id)} AND timezone = {{tz:String}} "
        f"AND rows_format = {ROWS_FORMAT} "
        f"AND day >= toDate('{first.isoformat()}') AND day <= toDate('{last.isoformat()}') "
        "GROUP BY day",
        {"tz": c.env.timezone},
    ).rows
    covered = {date.fromisoformat(str(day)): int(build) for day, build, _, _ in listed}
    provisional = {
        date.fromisoformat(str(day)): int(fingerprint)
        for day, _, is_provisional, fingerprint in listed
        if int(is_provisional)
    }
    now = fingerprints(c.env.store, c.env.team_id, c.env.timezone, list(provisional))
    for day, fingerprint in provisional.items():
        if now[day] != fingerprint:  # events came (or went) since it was built: made raw
            del covered[day]
    return covered
