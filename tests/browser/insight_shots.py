"""Screenshots of the insight editor, one per insight kind (and the trends displays), for
`make screenshots` (docs/ui/insight-*.png)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Page

PAGEVIEW = {"kind": "EventsNode", "event": "$pageview"}
SIGNED_UP = {"kind": "EventsNode", "event": "signed up"}
PURCHASED = {"kind": "EventsNode", "event": "plan purchased"}

INSIGHTS: dict[str, dict[str, Any]] = {
    "trends-line": {
        "kind": "TrendsQuery",
        "series": [PAGEVIEW | {"math": "dau", "custom_name": "Visitors"}, SIGNED_UP],
        "interval": "day",
        "dateRange": {"date_from": "-30d"},
    },
    "trends-stacked-bar": {
        "kind": "TrendsQuery",
        "series": [PAGEVIEW],
        "interval": "week",
        "dateRange": {"date_from": "-90d"},
        "breakdownFilter": {"breakdown": "$browser", "breakdown_type": "event"},
        "trendsFilter": {"display": "ActionsStackedBar"},
    },
    "trends-number": {
        "kind": "TrendsQuery",
        "series": [PAGEVIEW | {"math": "dau"}],
        "dateRange": {"date_from": "-14d"},
        "compareFilter": {"compare": True},
        "trendsFilter": {"display": "BoldNumber"},
    },
    "trends-pie": {
        "kind": "TrendsQuery",
        "series": [PAGEVIEW],
        "dateRange": {"date_from": "-30d"},
        "breakdownFilter": {"breakdown": "$pathname", "breakdown_type": "event"},
        "trendsFilter": {"display": "ActionsPie"},
    },
    "funnel": {
        "kind": "FunnelsQuery",
        "series": [PAGEVIEW, SIGNED_UP, PURCHASED],
        "dateRange": {"date_from": "-90d"},
        "funnelsFilter": {"funnelWindowInterval": 14, "funnelWindowIntervalUnit": "day"},
    },
    "funnel-time": {
        "kind": "FunnelsQuery",
        "series": [PAGEVIEW, SIGNED_UP, PURCHASED],
        "dateRange": {"date_from": "-90d"},
        "funnelsFilter": {
            "funnelWindowInterval": 14,
            "funnelWindowIntervalUnit": "day",
            "funnelVizType": "time_to_convert",
            "funnelFromStep": 1,
            "funnelToStep": 2,
        },
    },
    "retention": {
        "kind": "RetentionQuery",
        "retentionFilter": {
            "targetEntity": {"id": "$pageview", "type": "events"},
            "returningEntity": {"id": "$pageview", "type": "events"},
            "retentionType": "retention_first_time",
            "period": "Week",
            "totalIntervals": 8,
        },
    },
    "lifecycle": {
        "kind": "LifecycleQuery",
        "series": [PAGEVIEW],
        "interval": "week",
        "dateRange": {"date_from": "-56d"},
    },
    "stickiness": {
        "kind": "StickinessQuery",
        "series": [PAGEVIEW],
        "interval": "day",
        "dateRange": {"date_from": "-30d"},
    },
    "paths": {
        "kind": "PathsQuery",
        "pathsFilter": {
            "includeEventTypes": ["$pageview"],
            "stepLimit": 4,
            "localPathCleaningFilters": [{"regex": "^https://[^/]+", "alias": ""}],
        },
        "dateRange": {"date_from": "-90d"},
    },
    "sql": {
        "kind": "HogQLQuery",
        "query": "SELECT event, count() AS events, uniq(person_id) AS persons\n"
        "FROM events\nGROUP BY event\nORDER BY events DESC",
    },
}


def insight_path(query: dict[str, Any]) -> str:
    return "/insights/new?" + urlencode({"q": json.dumps(query)})


def shoot_insights(page: Page, out_dir: Path) -> None:
    """Each insight kind in the editor, drawn from the insights dataset (insights_data.py)."""
    page.set_viewport_size({"width": 1280, "height": 1300})
    for name, query in INSIGHTS.items():
        page.goto(insight_path(query))
        ready = "figure, .insight-table table"
        try:
            page.wait_for_selector(f".insight-result[aria-busy=false] >> {ready}", timeout=8000)
        except Exception:
            page.screenshot(path=str(out_dir / f"FAILED-{name}.png"), full_page=True)
            raise
        page.wait_for_timeout(400)  # let the canvas settle
        out = out_dir / f"insight-{name}.png"
        page.screenshot(path=str(out), full_page=True)
        print(f"wrote {out}")
    # The persons of a retention cell.
    page.goto(insight_path(INSIGHTS["retention"]))
    page.locator(".retention-table tbody tr >> nth=1").get_by_role("button").nth(1).click()
    page.wait_for_selector("dialog .actors-table tbody tr")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out_dir / "insight-persons.png"))
    print(f"wrote {out_dir / 'insight-persons.png'}")
    page.set_viewport_size({"width": 1280, "height": 800})
