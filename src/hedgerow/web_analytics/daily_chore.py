"""The background chore that keeps the web analytics pre-aggregate
(`store/web_daily_schema.py`): every `--web-aggregate-interval` seconds, for each project,
the complete days (in the project's time zone) whose rows are missing or stale are built
from the raw events, a few days per statement, and so are the days not complete yet (today,
and yesterday within the grace), as provisional days. Ingestion never waits for it.

A day is complete `GRACE` after the next day began. It is stale when its fingerprint
changed: the number of the project's events on the day before, the day itself and the day
after (a late event, or a session crossing midnight, changes what the day's rows hold).
While the day after is today, only its events of sessions also seen on the day count, so
yesterday is built again when a session that crossed midnight goes on, not with every new
visit. A provisional day's fingerprint is exact (`query/web_daily_fresh.py`): queries read
it only while it holds, and the chore builds it again when it changed, at most once an
interval. Erasure, retention and the squash of merged persons take days out themselves,
and this chore builds them again. A project whose time zone changed gets every day again,
and so does a day built in an earlier rows format (`ROWS_FORMAT`).

Before it reads the events of stale days it has the store write its buffered session rows
(`store/session_writer.py`), so each event the fingerprint counted is read with its
session. A new build is listed before the former one leaves the listing, so a day stays
listed while it is built again; the former build leaves it `FORMER_BUILDS_KEPT` later, with
its rows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from hedgerow.projects import ProjectCatalog
from hedgerow.query.core import Compiler, QueryEnv
from hedgerow.query.web_daily_fresh import fingerprints
from hedgerow.query.web_daily_rows import KINDS, ONE_DAY, ROW_COLUMNS, local_midnight_utc, rows_sql
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import EVENTS_TABLE, quote_string
from hedgerow.store.web_daily_schema import (
    BUILD_LOCK,
    ROWS_FORMAT,
    WEB_DAILY,
    WEB_DAILY_DAYS,
    forget_days,
)

log = logging.getLogger(__name__)
GRACE = timedelta(minutes=15)
# How long a day's former build stays listed, rows and all, after it was built again (a
# query that read the listing then still finds its rows; one that runs longer reads again).
FORMER_BUILDS_KEPT = timedelta(minutes=10)
Listing = tuple[str, int, bool, int]  # time zone, fingerprint, provisional, rows format
DAYS_PER_STATEMENT = 7
# Days older than this are not pre-aggregated (a client with a wrong clock can send events
# from 1970); queries over them read the raw events.
DAYS_BACK = 3 * 366
MASK = (1 << 64) - 1


def _fingerprint(before: int, day: int, after: int) -> int:
    return ((before * 1_000_003 + day) * 1_000_003 + after) & MASK


class WebDailyBuilder:
    """Builds one project's days (`build`); used by the chore and by `bench/`."""

    def __init__(self, store: ChdbEventStore, team_id: int, timezone: str) -> None:
        self.store = store
        self.env = QueryEnv(store, team_id, timezone)
        self.team_id = team_id
        self.timezone = str(getattr(self.env.tz, "key", "UTC"))

    def _day_counts(self) -> dict[date, int]:
        rows = self.store.run(
            f"SELECT toString(toDate(timestamp, {{tz:String}})), count() FROM {EVENTS_TABLE} "
            f"WHERE team_id = {int(self.team_id)} GROUP BY 1",
            {"tz": self.timezone},
        ).rows
        return {date.fromisoformat(str(d)): int(n) for d, n in rows}

    def _continued(self, day: date) -> int:
        """Events of the day after `day` in sessions that also had events on `day`."""
        start = local_midnight_utc(day, self.timezone)
        middle = local_midnight_utc(day + ONE_DAY, self.timezone)
        end = local_midnight_utc(day + 2 * ONE_DAY, self.timezone)
        team = int(self.team_id)
        stamp = "toDateTime64('{}', 6, 'UTC')".format
        fmt = "%Y-%m-%d %H:%M:%S"
        rows = self.store.run(
            f"SELECT count() FROM {EVENTS_TABLE} WHERE team_id = {team} "
            f"AND timestamp >= {stamp(middle.strftime(fmt))} "
            f"AND timestamp < {stamp(end.strftime(fmt))} AND `$session_id` IN ("
            f"SELECT `$session_id` FROM {EVENTS_TABLE} WHERE team_id = {team} "
            f"AND timestamp >= {stamp(start.strftime(fmt))} "
            f"AND timestamp < {stamp(middle.strftime(fmt))} AND `$session_id` != '')"
        ).rows
        return int(rows[0][0])

    def last_complete(self, now: datetime) -> date:
        """The project's last complete day at `now`."""
        last = now.astimezone(self.env.tz).date() - ONE_DAY
        if now < local_midnight_utc(last + ONE_DAY, self.timezone) + GRACE:
            last -= ONE_DAY
        return last

    def wanted(self, now: datetime, counts: dict[date, int] | None = None) -> dict[date, int]:
        """Each complete day from the project's first event on, with its fingerprint
        (`counts`: the project's events per day, when read already)."""
        counts = self._day_counts() if counts is None else counts
        if not counts:
            return {}
        last = self.last_complete(now)
        found: dict[date, int] = {}
        day = max(min(counts), last - DAYS_BACK * ONE_DAY)
        while day <= last:
            after = counts.get(day + ONE_DAY, 0)
            if day + ONE_DAY > last and after:  # the day after is not complete yet
                after = self._continued(day)
            found[day] = _fingerprint(counts.get(day - ONE_DAY, 0), counts.get(day, 0), after)
            day += ONE_DAY
        return found

    def provisional(self, now: datetime, counts: dict[date, int]) -> list[date]:
        """The days after the last complete one, to today (none before a first event)."""
        if not counts:
            return []
        day, today = self.last_complete(now) + ONE_DAY, now.astimezone(self.env.tz).date()
        found = []
        while day <= today:
            found.append(day)
            day += ONE_DAY
        return found

    def listed(self) -> dict[date, Listing]:
        rows = self.store.run(  # the highest build of a day (former ones for a while)
            "SELECT toString(day), argMax(timezone, build), argMax(fingerprint, build), "
            "argMax(provisional, build), argMax(rows_format, build) "
            f"FROM {WEB_DAILY_DAYS} WHERE team_id = {int(self.team_id)} GROUP BY day"
        ).rows
        return {
            date.fromisoformat(str(d)): (str(tz), int(fp), bool(provisional), int(rows_format))
            for d, tz, fp, provisional, rows_format in rows
        }

    def build(self, now: datetime | None = None) -> int:
        """Build the project's missing and stale days, complete and provisional; returns how
        many were built."""
        now = now or datetime.now(UTC)
        counts = self._day_counts()
        wanted = self.wanted(now, counts)
        upcoming = self.provisional(now, counts)
        listed = self.listed()
        for day in sorted(set(listed) - set(wanted) - set(upcoming)):  # before the first event
            forget_days(self.store.run, self.team_id, day, day)
        built = self._build_stale(wanted, listed, provisional=False)
        # Fingerprinted after the complete days are built (which may take a while): events
        # that came meanwhile would make the provisional days stale at once.
        fresh = fingerprints(self.store, self.team_id, self.timezone, upcoming)
        built += self._build_stale(fresh, listed, provisional=True)
        self.drop_former_builds()
        return built

    def _build_stale(
        self, wanted: dict[date, int], listed: dict[date, Listing], provisional: bool
    ) -> int:
        """Build the days of `wanted` (day -> fingerprint) whose listing is not theirs."""
        stale = [
            day
            for day, fp in sorted(wanted.items())
            if listed.get(day) != (self.timezone, fp, provisional, ROWS_FORMAT)
        ]
        if stale:
            # Every event counted in the fingerprints has its session rows written before
            # the days are read: the store writes the sessions of the events it inserts only
            # every few seconds, and a day read in between would lose the page views of
            # those sessions (the join) under a fingerprint that says it is up to date.
            self.store.flush_sessions()
        runs: list[list[date]] = []
        for day in stale:
            if runs and runs[-1][-1] + ONE_DAY == day and len(runs[-1]) < DAYS_PER_STATEMENT:
                runs[-1].append(day)
            else:
                runs.append([day])
        for run in runs:
            self._build_days(run[0], run[-1], {d: wanted[d] for d in run}, provisional)
        return len(stale)

    def _build_days(
        self, first: date, last: date, listing: dict[date, int], provisional: bool
    ) -> None:
        """Build the days `first` to `last` and list them (day -> fingerprint)."""
        c = Compiler(self.env)
        team = int(self.team_id)
        select = rows_sql(c, self.timezone, first, last, KINDS)
        zone = quote_string(self.timezone)
        with BUILD_LOCK:  # numbered inside the lock: a later build has a higher number
            build = time.time_ns() // 1000
            if provisional or any(listing.values()):  # no events nearby: no rows
                self.store.run(
                    f"INSERT INTO {WEB_DAILY} (team_id, build, {ROW_COLUMNS}) "
                    f"SELECT {team}, {build}, {ROW_COLUMNS} FROM ({select})",
                    c.params.values,
                )
            built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            values = ", ".join(
                f"({team}, '{d.isoformat()}', {build}, {zone}, {fp}, '{built}', "
                f"{int(provisional)}, {ROWS_FORMAT})"
                for d, fp in listing.items()
            )
            # Listed beside the former build, which stays listed for a while (a query reads
            # the highest build, and finds every day listed throughout).
            self.store.run(
                f"INSERT INTO {WEB_DAILY_DAYS} (team_id, day, build, timezone, fingerprint, "
                f"built_at, provisional, rows_format) VALUES {values}"
            )

    def drop_former_builds(self) -> None:
        """Take a day's former builds out of the listing `FORMER_BUILDS_KEPT` after the next
        build of the day was listed (no query reads them since, and one that read them
        before has had that long), then delete the rows of every build not listed (those,
        and those of a build that failed before it was listed). Under `BUILD_LOCK`, where
        no build is between its rows and its listing."""
        team = int(self.team_id)
        cutoff = time.time_ns() // 1000 - int(FORMER_BUILDS_KEPT.total_seconds() * 1e6)
        with BUILD_LOCK:
            rows = self.store.run(
                "SELECT toString(day), build, toUnixTimestamp64Micro(built_at) "
                f"FROM {WEB_DAILY_DAYS} WHERE team_id = {team} ORDER BY day, build"
            ).rows
            replaced = [
                (str(day), int(build))
                for (day, build, _), (later_day, _, later_built) in pairwise(rows)
                if later_day == day and int(later_built) < cutoff
            ]
            if replaced:
                builds = ", ".join(f"(toDate('{d}'), {b})" for d, b in replaced)
                self.store.run(
                    f"DELETE FROM {WEB_DAILY_DAYS} WHERE team_id = {team} "
                    f"AND (day, build) IN ({builds})"
                )
            where = (
                f"team_id = {team} AND (day, build) NOT IN "
                f"(SELECT day, build FROM {WEB_DAILY_DAYS} WHERE team_id = {team})"
            )
            found = self.store.run(f"SELECT count() FROM {WEB_DAILY} WHERE {where}").rows
            if int(found[0][0]):
                self.store.run(f"DELETE FROM {WEB_DAILY} WHERE {where}")


class WebDailyChore:
    """The thread that runs `WebDailyBuilder.build` for every project each interval."""

    def __init__(
        self,
        catalog: ProjectCatalog,
        store: ChdbEventStore,
        interval: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.interval = interval
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._thread = threading.Thread(target=self._loop, name="web-daily", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("building the web analytics pre-aggregate failed; will retry")
            self._stop.wait(self.interval)

    def run_once(self) -> dict[int, Any]:
        """Build every project's days; project id -> days built."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        built: dict[int, Any] = {}
        for project in self.catalog.all():
            if self._stop.is_set():
                break
            started = time.monotonic()
            count = WebDailyBuilder(self.store, project.id, project.timezone).build(now)
            built[project.id] = count
            if count:
                log.info(
                    "web analytics: %d days of project %d pre-aggregated in %.1f s",
                    count,
                    project.id,
                    time.monotonic() - started,
                )
        return built
