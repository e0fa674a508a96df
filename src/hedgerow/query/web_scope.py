"""What the web analytics queries share: the periods, the filters, and one statement shape.

Counting follows PostHog's web queries (docs/web-analytics.md#what-the-numbers-count):

- the rows are page views (`$pageview`) with a `$session_id`, not flagged as a bot's
  (unless `includeBots`), that match every event and person filter;
- a page view belongs to the period its session **started** in, and counts only when it
  happened in that period too; the session must match every session filter;
- visitors are the distinct persons (after merges) of the page views that count.

The statement reads the events once (`events_sql`: the page views in either period, grouped
by session, side of the current period's start and breakdown value) and the sessions table
once (`sessions_sql`: one `GROUP BY session_id`, the sessions that started in either
period), joined on the session id (`joined_sql`). A joined row keeps `in_current`: true for
the current period, false for the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hedgerow.query.core import Compiler, QueryEnv
from hedgerow.query.hogql.sessions_table import SESSION_COLUMNS, sessions_source
from hedgerow.query.hogql.tables import TableContext
from hedgerow.query.timerange import TimeRange, resolve_range
from hedgerow.query.web_filters import (
    WebFilters,
    event_filters_sql,
    not_bot_sql,
    session_filters_sql,
    split_filters,
)
from hedgerow.store.schema import EVENTS_TABLE

# breakdownBy -> where its value is read ('event' or 'session') and the key there
BREAKDOWNS: dict[str, tuple[str, str]] = {
    "Page": ("event", "$pathname"),
    "InitialPage": ("session", "$entry_pathname"),
    "ExitPage": ("session", "$end_pathname"),
    "InitialReferringDomain": ("session", "$entry_referring_domain"),
    "InitialChannelType": ("session", "$channel_type"),
    "InitialUTMSource": ("session", "$entry_utm_source"),
    "InitialUTMMedium": ("session", "$entry_utm_medium"),
    "InitialUTMCampaign": ("session", "$entry_utm_campaign"),
    "DeviceType": ("event", "$device_type"),
    "Browser": ("event", "$browser"),
    "OS": ("event", "$os"),
    "Country": ("event", "$geoip_country_code"),
    "Region": ("event", "$geoip_subdivision_1_name"),
    "City": ("event", "$geoip_city_name"),
}


@dataclass
class WebScope:
    compiler: Compiler
    current: TimeRange
    previous: TimeRange | None
    filters: WebFilters
    include_bots: bool

    @classmethod
    def of(cls, env: QueryEnv, query: dict[str, Any], compare_default: bool) -> WebScope:
        current = resolve_range(query.get("dateRange"), "day", env.tz)
        compare = (query.get("compareFilter") or {}).get("compare", compare_default)
        previous = current.shifted(-len(current.bucket_starts())) if compare else None
        return cls(
            compiler=Compiler(env),
            current=current,
            previous=previous,
            filters=split_filters(query.get("properties")),
            include_bots=bool(query.get("includeBots")),
        )

    @property
    def first(self) -> TimeRange:
        return self.previous or self.current

    def range_json(self) -> dict[str, str]:
        found = self.current.as_json()
        return {"dateFrom": found["date_from"], "dateTo": found["date_to"]}

    def events_sql(
        self,
        columns: list[str],
        group_by: list[str],
        with_paths: bool = True,
    ) -> str:
        """The page views in either period, grouped by session, `in_current` (at or after the
        current period's start) and `group_by`. `with_paths=False` leaves the `$pathname`
        filters out of the WHERE (the caller reads `path_match_sql` instead)."""
        c = self.compiler
        start = c.timestamp(self.current.utc_start())
        where = [
            c.team(),
            "event = '$pageview'",
            "`$session_id` != ''",
            *c.between(self.first.utc_start(), self.current.utc_end()),
        ]
        if not self.include_bots:
            where.append(not_bot_sql(c.reader, c.reader.materialized))
        events = event_filters_sql(self.filters.events, c.reader, c.env.path_cleaning)
        if events:
            where.append(events)
        if with_paths and self.filters.paths:
            where.append(self.path_match_sql())
        keys = ["`$session_id` AS sid", f"timestamp >= {start} AS in_current", *group_by]
        names = ["sid", "in_current", *(g.rsplit(" AS ", 1)[-1] for g in group_by)]
        return (
            f"SELECT {', '.join([*keys, *columns])} FROM {EVENTS_TABLE} "
            f"WHERE {' AND '.join(where)} GROUP BY {', '.join(names)}"
        )

    def path_match_sql(self) -> str:
        c = self.compiler
        found = event_filters_sql(self.filters.paths, c.reader, c.env.path_cleaning)
        return found or "1"

    def sessions_sql(self, columns: list[str]) -> str:
        """`session_id`, `start` and `columns` (over the SQL `sessions` table's columns) of the
        sessions that started in either period and match the session filters."""
        c = self.compiler
        env = c.env
        context = TableContext(
            team_id=env.team_id,
            timezone=env.timezone,
            materialized=c.reader.materialized,
            pending_overrides=False,
            params=c.params,
        )
        since = c.timestamp(self.first.utc_start())
        where = [
            f"`$start_timestamp` >= {since}",
            f"`$start_timestamp` <= {c.timestamp(self.current.utc_end())}",
        ]
        sessions = session_filters_sql(self.filters.sessions, c.reader, env.path_cleaning)
        if sessions:
            where.append(sessions)
        selected = ["session_id", "`$start_timestamp` AS start", *columns]
        text = " ".join([*selected, *where])
        reads = [name for name in SESSION_COLUMNS if f"`{name}`" in text]
        source = sessions_source(context, since, reads)
        return f"SELECT {', '.join(selected)} FROM ({source}) WHERE {' AND '.join(where)}"

    def joined_sql(self, events: str, sessions: str) -> str:
        """Each events row with its session's columns; `in_current` says which period counts
        it (a row whose page views lie in the other period than its session's start is
        dropped)."""
        start = self.compiler.timestamp(self.current.utc_start())
        return (
            f"SELECT * FROM ({events}) AS e INNER JOIN ({sessions}) AS s "
            f"ON e.sid = s.session_id WHERE e.in_current = (s.start >= {start})"
        )
