"""What the API answers when the event store could not run a query.

A query stopped by a query limit is the asker's to change (a shorter date range, fewer rows,
a simpler query), so it answers 400 with the limit's own code and ClickHouse's reason. Any
other ClickHouse error answers 400 `query_failed` where the SQL is the user's own
(`HogQLQuery`); in SQL that Hedgerow built it is Hedgerow's fault, a 500.
"""

from __future__ import annotations

import re

from hedgerow.errors import BadRequest
from hedgerow.store.events import QueryFailed

# Per limit: its error code and what to do about it.
LIMIT_ERRORS = {
    "memory": (
        "query_memory_limit",
        "The query needed more memory than one query may use (setting query_max_memory); "
        "read fewer rows or columns, or group by fewer values.",
    ),
    "time": (
        "query_timeout",
        "The query ran longer than one query may run (setting query_timeout); narrow the "
        "date range or filter earlier.",
    ),
    "result": (
        "query_result_too_large",
        "The result has more rows or bytes than one query may return (settings "
        "query_max_result_rows and query_max_result_bytes); ask for fewer rows or columns.",
    ),
}


def limit_refusal(exc: QueryFailed) -> BadRequest | None:
    """The 400 for a query stopped by a query limit; None for any other error."""
    if exc.limit is None:
        return None
    code, advice = LIMIT_ERRORS[exc.limit]
    return BadRequest(f"{advice} ClickHouse: {clickhouse_reason(str(exc))}", code=code)


def sql_refusal(exc: QueryFailed) -> BadRequest:
    """The 400 for the user's own SQL that ClickHouse could not run."""
    refusal = limit_refusal(exc)
    if refusal is not None:
        return refusal
    return BadRequest(
        "ClickHouse could not run the query: " + clickhouse_reason(str(exc)), code="query_failed"
    )


def clickhouse_reason(message: str) -> str:
    """ClickHouse's error without its code prefix or the echo of the printed SQL."""
    found = re.search(r"DB::Exception: (?!Code: )(.*)", message, re.DOTALL)
    body = (found.group(1) if found else message).strip()
    return re.sub(r"[:.]?\s*In scope .*?(?=\. \([A-Z_]+\)$|$)", "", body, flags=re.DOTALL)
