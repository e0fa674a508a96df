"""SQL over a project's events and persons (PostHog's `HogQLQuery`)."""

from hedgerow.query.hogql.run import compile_hogql, run_hogql_query

__all__ = ["compile_hogql", "run_hogql_query"]
