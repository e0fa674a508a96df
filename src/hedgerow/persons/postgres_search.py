"""Finding persons by a search term in the person store on PostgreSQL: the embedded store's
rules (`search.py`): a case-insensitive part of the person's id, of one of its distinct ids,
or of one of its property values (nested ones too, `true`/`false` as those words, never a
key). `jsonb_path_query(…, 'strict $.**')` walks every value of the properties.
"""

from __future__ import annotations

SEARCH_CONDITION = (
    "(p.id ILIKE %(pattern)s ESCAPE '\\' "
    "OR p.id IN (SELECT d.person_id FROM distinct_ids d "
    "WHERE d.team_id = %(team)s AND d.distinct_id ILIKE %(pattern)s ESCAPE '\\') "
    "OR EXISTS (SELECT 1 FROM jsonb_path_query(p.properties, 'strict $.**') AS v "
    "WHERE jsonb_typeof(v) NOT IN ('object', 'array') "
    "AND (v #>> '{}') ILIKE %(pattern)s ESCAPE '\\'))"
)
