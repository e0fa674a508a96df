"""Finding persons by a search term in the SQLite person store.

A person matches when the term is a case-insensitive part (SQLite's LIKE: ASCII letters
fold) of its id, of one of its distinct ids, or of one of its property values (nested ones
too; `true`/`false` as those words, not keys). PostHog's persons list searches the email,
the name, the id and the distinct ids; any property value covers the first two.

Property values are checked in two steps: the JSON text must contain the term as it is
written inside JSON (cheap, no parsing), and only then are the values walked
(`json_tree`), so that a term found only in a key does not match.
"""

from __future__ import annotations

import orjson

MAX_SEARCH = 200  # characters of a search term


def like_pattern(text: str) -> str:
    """`%text%` for LIKE ... ESCAPE '\\', with the wildcards of `text` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# A property value as text: booleans as the words, other scalars as themselves.
_VALUE_TEXT = "CASE v.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE v.atom END"

SEARCH_CONDITION = (
    "(p.id LIKE :pattern ESCAPE '\\' "
    "OR p.id IN (SELECT d.person_id FROM distinct_ids d "
    "WHERE d.team_id = :team AND d.distinct_id LIKE :pattern ESCAPE '\\') "
    "OR (p.properties LIKE :json_pattern ESCAPE '\\' AND EXISTS ("
    f"SELECT 1 FROM json_tree(p.properties) v WHERE v.type NOT IN ('object', 'array') "
    f"AND {_VALUE_TEXT} LIKE :pattern ESCAPE '\\')))"
)


def search_params(term: str) -> dict[str, str]:
    """The parameters of `SEARCH_CONDITION` for a term (besides `team`)."""
    as_in_json = orjson.dumps(term).decode()[1:-1]
    return {"pattern": like_pattern(term), "json_pattern": like_pattern(as_in_json)}
