"""`ActorsQuery`: the persons behind a point of an insight, a page at a time.

The persons come from `hedgerow.query.actors` (the insight's own per-person SQL), most
events first, then by id. `search` keeps the persons whose id, a distinct id or a property
value (such as the email or name) contains it, case-insensitively, as the persons list
does. Each row is `[person, event_count]` (`columns`: `actor`, `event_count`); the count is
null where the kind has none (funnels, retention, lifecycle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hedgerow.api.models import PersonOut
from hedgerow.persons.store import Person, PersonStore
from hedgerow.query.actors import actor_rows
from hedgerow.query.core import QueryEnv

PersonsJson = Callable[[int, list[Person]], list[PersonOut]]


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [] if value is None else [str(value)]


def _matches(person: Person, distinct_ids: list[str], term: str) -> bool:
    texts = [person.id, *distinct_ids, *_texts(person.properties)]
    return any(term in text.lower() for text in texts)


def run_actors_query(
    env: QueryEnv, query: dict[str, Any], persons: PersonStore, persons_json: PersonsJson
) -> dict[str, Any]:
    rows, counted = actor_rows(env, query.get("source"))
    limit, offset = int(query.get("limit") or 100), int(query.get("offset") or 0)
    term = (query.get("search") or "").strip().lower()
    if term:
        kept = []
        for person_id, events in rows:
            person = persons.get(env.team_id, person_id)
            ids = persons.distinct_ids(env.team_id, person_id) if person else []
            if person is not None and _matches(person, ids, term):
                kept.append((person_id, events))
        rows = kept
    page = rows[offset : offset + limit]
    found = {p.id: p for p in (persons.get(env.team_id, pid) for pid, _ in page) if p}
    shown = [(found[pid], events) for pid, events in page if pid in found]
    people = persons_json(env.team_id, [person for person, _ in shown])
    results = [
        [person.model_dump(mode="json"), events if counted else None]
        for person, (_, events) in zip(people, shown, strict=True)
    ]
    return {
        "columns": ["actor", "event_count"],
        "types": ["Person", "Int64"],
        "results": results,
        "total": len(rows),
        "hasMore": offset + limit < len(rows),
        "limit": limit,
        "offset": offset,
        "timezone": env.timezone,
        "is_cached": False,
    }
