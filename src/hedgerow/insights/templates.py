"""The "Product analytics" dashboard every new project starts with, so that the first visit
shows something: unique users, page views, top events, a sign-up funnel, weekly retention
and growth accounting, each a saved insight of the project on a tile of the dashboard."""

from __future__ import annotations

from typing import Any

from hedgerow.insights.dashboards import Dashboard, DashboardStore
from hedgerow.insights.schema import SavedDb
from hedgerow.insights.store import InsightStore

TEMPLATE_NAME = "Product analytics"
LAST_30_DAYS = {"date_from": "-30d"}
PAGEVIEW = {"kind": "EventsNode", "event": "$pageview", "name": "$pageview"}

ALL_EVENTS = {"kind": "EventsNode", "event": None, "name": "All events", "math": "total"}
BY_EVENT_NAME = {"breakdown": "event", "breakdown_type": "hogql", "breakdown_limit": 10}


def _trends(math: str) -> dict[str, Any]:
    return {
        "kind": "TrendsQuery",
        "series": [{**PAGEVIEW, "math": math}],
        "interval": "day",
        "dateRange": LAST_30_DAYS,
        "trendsFilter": {"display": "ActionsLineGraph"},
    }


# (name, description, query), in the order of the tiles.
PRODUCT_ANALYTICS: list[tuple[str, str, dict[str, Any]]] = [
    ("Unique users", "Persons who viewed a page, per day, over the last 30 days.", _trends("dau")),
    ("Page views", "Page views per day over the last 30 days.", _trends("total")),
    (
        "Top events",
        "The events sent most over the last 30 days.",
        {
            "kind": "TrendsQuery",
            "series": [ALL_EVENTS],
            "dateRange": LAST_30_DAYS,
            "breakdownFilter": BY_EVENT_NAME,
            "trendsFilter": {"display": "ActionsBarValue"},
        },
    ),
    (
        "Sign-up funnel",
        'From a page view to signing up: rename "signed up" to the event your sign-up sends.',
        {
            "kind": "FunnelsQuery",
            "series": [PAGEVIEW, {"kind": "EventsNode", "event": "signed up", "name": "signed up"}],
            "dateRange": LAST_30_DAYS,
            "funnelsFilter": {
                "funnelVizType": "steps",
                "funnelWindowInterval": 14,
                "funnelWindowIntervalUnit": "day",
            },
        },
    ),
    (
        "Weekly retention",
        "Of the persons who first viewed a page in a week, how many came back in the next ones.",
        {
            "kind": "RetentionQuery",
            "retentionFilter": {
                "targetEntity": {"id": "$pageview", "type": "events", "name": "$pageview"},
                "returningEntity": {"id": "$pageview", "type": "events", "name": "$pageview"},
                "retentionType": "retention_first_time",
                "period": "Week",
                "totalIntervals": 8,
            },
        },
    ),
    (
        "Growth accounting",
        "New, returning, resurrecting and dormant users each week (by page views).",
        {
            "kind": "LifecycleQuery",
            "series": [PAGEVIEW],
            "interval": "week",
            "dateRange": {"date_from": "-8w"},
        },
    ),
]
TILE_WIDTH, TILE_HEIGHT = 6, 5  # two tiles a row


def create_product_analytics(
    insights: InsightStore,
    dashboards: DashboardStore,
    team_id: int,
    user_id: int | None = None,
    name: str = TEMPLATE_NAME,
) -> Dashboard:
    """A new dashboard with a new saved insight on each tile, two tiles a row."""
    dashboard = dashboards.create(team_id, name, "What most products want to know first.", user_id)
    for index, (title, description, query) in enumerate(PRODUCT_ANALYTICS):
        insight = insights.create(team_id, title, description, query, user_id)
        place = {
            "x": (index % 2) * TILE_WIDTH,
            "y": (index // 2) * TILE_HEIGHT,
            "w": TILE_WIDTH,
            "h": TILE_HEIGHT,
        }
        dashboards.add_tile(team_id, dashboard.id, insight_id=insight.id, layouts={"sm": place})
    found = dashboards.get(team_id, dashboard.id)
    assert found is not None
    return found


def start_project(db: SavedDb, team_id: int, user_id: int | None = None) -> Dashboard:
    """What a new project starts with: the "Product analytics" dashboard."""
    return create_product_analytics(InsightStore(db), DashboardStore(db), team_id, user_id)
