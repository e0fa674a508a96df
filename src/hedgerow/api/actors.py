"""`ActorsQuery`: the persons behind a point of an insight, a page at a time.

The persons come from `hedgerow.query.actors` (the insight's own per-person SQL), most
events first, then by person index, paged in SQL. `search` keeps the persons the persons
list finds for it (id, a distinct id or a property value such as the email or name,
case-insensitively; at most 10,000 of them). Each row is `[person, event_count]`
(`columns`: `actor`, `event_count`); the count is null where the kind has none (funnels,
retention, lifecycle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hedgerow.api.models import PersonOut
from hedgerow.errors import BadRequest
from hedgerow.persons.store import Person, PersonStore
from hedgerow.query.actors import actor_page
from hedgerow.query.core import QueryEnv

MAX_SEARCH_MATCHES = 10_000
PersonsJson = Callable[[int, list[Person]], list[PersonOut]]


def run_actors_query(
    env: QueryEnv, query: dict[str, Any], persons: PersonStore, persons_json: PersonsJson
) -> dict[str, Any]:
    limit, offset = int(query.get("limit") or 100), int(query.get("offset") or 0)
    term = (query.get("search") or "").strip()
    among = None
    if term:
        found = list(persons.recent(env.team_id, MAX_SEARCH_MATCHES + 1, 0, term))
        if len(found) > MAX_SEARCH_MATCHES:
            raise BadRequest(
                f"The search matches over {MAX_SEARCH_MATCHES} persons of the project; "
                "search for something more precise.",
                code="invalid_query",
            )
        among = [p.idx for p in found]
    page, total, counted = actor_page(env, query.get("source"), limit, offset, among)
    by_id = {p.id: p for p in (persons.get(env.team_id, pid) for pid, _ in page) if p}
    shown = [(by_id[pid], events) for pid, events in page if pid in by_id]
    people = persons_json(env.team_id, [person for person, _ in shown])
    results = [
        [person.model_dump(mode="json"), events if counted else None]
        for person, (_, events) in zip(people, shown, strict=True)
    ]
    return {
        "columns": ["actor", "event_count"],
        "types": ["Person", "Int64"],
        "results": results,
        "total": total,
        "hasMore": offset + limit < total,
        "limit": limit,
        "offset": offset,
        "timezone": env.timezone,
        "is_cached": False,
    }
