"""The action editor's preview: how many events the steps of an action (saved or not) matched
in the last 30 days, and the newest of them.

Both answers are `EventsQuery` runs with the steps as the action, so an unsaved action counts
exactly what the same action counts once saved (`actionId`).
"""

from __future__ import annotations

from typing import Any

from hedgerow.query.core import QueryEnv
from hedgerow.query.events_query import run_events_query

PREVIEW_WINDOW = "-30d"
DEFAULT_SAMPLE = 10


def preview_action(
    env: QueryEnv, steps: list[dict[str, Any]], sample: int = DEFAULT_SAMPLE
) -> dict[str, Any]:
    """`{"count", "results": [event, ...] newest first}` over the last 30 days; `steps` as
    stored (`validate_step`)."""
    counted = run_events_query(
        env.store,
        env.team_id,
        {"select": ["count()"], "after": PREVIEW_WINDOW},
        env=env,
        action_steps=steps,
    )
    count = counted["results"][0][0] if counted["results"] else 0
    events: list[dict[str, Any]] = []
    if count:
        newest = run_events_query(
            env.store,
            env.team_id,
            {"select": ["*"], "after": PREVIEW_WINDOW, "limit": sample},
            env=env,
            action_steps=steps,
        )
        events = [{"id": row[0]["uuid"], **row[0]} for row in newest["results"]]
    return {"count": count, "results": events}
