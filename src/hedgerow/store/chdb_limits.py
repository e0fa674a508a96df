"""How the query limits become ClickHouse settings, how a failed statement's error says
which limit stopped it, and the log of slow queries."""

from __future__ import annotations

import logging
import re
from typing import Any

from hedgerow.store.events import QueryFailed, QueryLimits, SettingValue

# The limit behind each ClickHouse error code that a query limit raises.
LIMIT_ERRORS = {
    241: "memory",  # MEMORY_LIMIT_EXCEEDED: over max_memory_usage
    173: "memory",  # CANNOT_ALLOCATE_MEMORY: the machine had no more to give
    159: "time",  # TIMEOUT_EXCEEDED: over max_execution_time
    160: "time",  # TOO_SLOW: estimated to run past max_execution_time
    396: "result",  # TOO_MANY_ROWS_OR_BYTES: over max_result_rows or max_result_bytes
}


def query_failed(message: str) -> QueryFailed:
    """The error of a statement chDB refused, with ClickHouse's error name and code."""
    code = re.search(r"Code: (\d+)", message)
    name = re.search(r"\(([A-Z][A-Z0-9_]+)\)\s*$", message)
    return QueryFailed(
        message,
        name=name.group(1) if name else "",
        limit=LIMIT_ERRORS.get(int(code.group(1))) if code else None,
    )


def limit_settings(limits: QueryLimits) -> dict[str, SettingValue]:
    """The ClickHouse settings that enforce `limits` (those set to 0 are left out)."""
    settings: dict[str, SettingValue] = {}
    if limits.timeout:
        settings["max_execution_time"] = limits.timeout
    if limits.max_memory:
        settings["max_memory_usage"] = limits.max_memory
    if limits.max_result_rows:
        settings["max_result_rows"] = limits.max_result_rows
    if limits.max_result_bytes:
        settings["max_result_bytes"] = limits.max_result_bytes
    if limits.max_result_rows or limits.max_result_bytes:
        settings["result_overflow_mode"] = "throw"
    return settings


def log_slow_query(
    log: logging.Logger,
    limits: QueryLimits,
    seconds: float,
    sql: str,
    statistics: dict[str, Any],
    failed: BaseException | None,
) -> None:
    """A warning for an API query that ran longer than `limits.slow_seconds`: its time, what
    ClickHouse read (when it finished) and the start of its SQL, so an operator can find
    which query a slow dashboard or a timeout came from."""
    if not limits.slow_seconds or seconds < limits.slow_seconds:
        return
    read = (
        f"{int(statistics.get('rows_read', 0)):,} rows, "
        f"{int(statistics.get('bytes_read', 0)) / 1024**2:,.1f} MiB read"
        if statistics
        else f"failed: {str(failed).splitlines()[0][:200] if failed else 'no statistics'}"
    )
    log.warning("slow query: %.1f s, %s: %s", seconds, read, " ".join(sql.split())[:600])
