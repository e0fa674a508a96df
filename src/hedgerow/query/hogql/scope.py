"""Which table a name in a query means, and the ClickHouse expression it becomes.

A SELECT's scope holds its FROM sources (project tables or subqueries, by alias), the
aliases of its own select list and the parameters of any lambda being printed. A name is
looked up in that order: lambda parameter, select alias, `alias.column`, then a column of
exactly one source (a name two sources share must be qualified).

`properties.<key>` (and `person.properties.<key>` on events) read a property as text, NULL
when it is absent or null; with a known property type (from the property definitions) the
value is converted: Numeric to Float64, Boolean to Bool, DateTime to DateTime64.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hedgerow.query.hogql.tables import TABLES, TableContext, TableSchema, table_source
from hedgerow.query.hogql.tokenizer import SqlError
from hedgerow.store.schema import quote_identifier, text_form_expression

# ("event" | "person", key) -> "Numeric" | "String" | "Boolean" | "DateTime"
PropertyTypes = Mapping[tuple[str, str], str]


class ResolveError(Exception):
    """A name or function that cannot be used; `at(text)` places it in the query text."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def at(self, text: str) -> SqlError:
        return SqlError(self.message, self.position, text)


@dataclass
class Source:
    alias: str
    table: TableSchema | None  # None for a subquery
    columns: list[str]
    subquery_sql: str = ""
    uses_person: bool = False

    def has(self, name: str) -> bool:
        if self.table is TABLES["events"] and name == "person":
            return True
        return name in self.columns

    def sql(self, ctx: TableContext) -> str:
        if self.table is None:
            return f"({self.subquery_sql}) AS {quote_identifier(self.alias)}"
        body = table_source(self.table.name, ctx, self.uses_person)
        return f"({body}) AS {quote_identifier(self.alias)}"


@dataclass
class Scope:
    ctx: TableContext
    property_types: PropertyTypes
    sources: list[Source] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)
    lambdas: list[set[str]] = field(default_factory=list)
    ctes: dict[str, Any] = field(default_factory=dict)  # name -> query, for subqueries

    def add(self, source: Source, position: int) -> None:
        if any(s.alias == source.alias for s in self.sources):
            raise _error(
                f"the table alias {source.alias!r} is used twice; give each table its own alias",
                position,
            )
        self.sources.append(source)

    def source(self, alias: str) -> Source | None:
        for source in self.sources:
            if source.alias == alias:
                return source
        return None

    def resolve(self, chain: list[str], position: int) -> str:
        head = chain[0]
        if any(head in names for names in self.lambdas):
            if len(chain) > 1:
                raise _error(f"cannot read {'.'.join(chain)!r} from a lambda parameter", position)
            return head
        if len(chain) == 1 and head in self.aliases:
            return quote_identifier(head)
        qualified = self.source(head) if len(chain) > 1 else None
        if qualified is not None:
            return self.column(qualified, chain[1:], position)
        having = [s for s in self.sources if s.has(head)]
        if len(having) > 1:
            aliases = ", ".join(s.alias for s in having)
            raise _error(
                f"{head!r} is ambiguous: it is in {aliases}; write it as <alias>.{head}",
                position,
            )
        if not having:
            if head == "team_id":
                raise _error(
                    "there is no team_id column: a query only ever sees this project's rows",
                    position,
                )
            if self.source(head) is not None:
                raise _error(f"name a column after {head}., like {head}.<column>", position)
            raise _error(self._unknown(head), position)
        return self.column(having[0], chain, position)

    def _unknown(self, name: str) -> str:
        known = sorted({c for s in self.sources for c in s.columns})
        if not self.sources:
            return f"unknown name {name!r}: there is no FROM clause to take it from"
        return f"unknown name {name!r}; the tables here have: {', '.join(known)}"

    def column(self, source: Source, chain: list[str], position: int) -> str:
        table = source.table
        alias = quote_identifier(source.alias)
        head = chain[0]
        if table is None:
            if head not in source.columns:
                raise _error(
                    f"the subquery {source.alias} has no column {head!r}; "
                    f"it has: {', '.join(source.columns) or 'no named columns'}",
                    position,
                )
            column = f"{alias}.{quote_identifier(head)}"
            return column if len(chain) == 1 else self.json_value(column, chain[1:])
        if table.name == "events":
            if head == "person":
                return self._person_on_event(source, chain[1:], position)
            if head == "person_id":
                source.uses_person = True
            if head == "properties" and len(chain) > 1:
                return self.property(source, "event", chain[1:])
        elif head in table.json_columns and len(chain) > 1:
            return self.property(source, "person", chain[1:])
        if head not in table.columns:
            raise _error(
                f"{table.name} has no column {head!r}; it has: {', '.join(table.columns)}",
                position,
            )
        if len(chain) > 1:
            raise _error(f"{head} has no fields: cannot read {'.'.join(chain)!r}", position)
        return f"{alias}.{quote_identifier(head)}"

    def _person_on_event(self, source: Source, rest: list[str], position: int) -> str:
        alias = quote_identifier(source.alias)
        if rest == ["id"]:
            source.uses_person = True
            return f"{alias}.person_id"
        if rest == ["created_at"]:
            return f"{alias}.person_created_at"
        if rest == ["properties"]:
            return f"{alias}.person_properties"
        if len(rest) > 1 and rest[0] == "properties":
            return self.property(source, "person", rest[1:], column="person_properties")
        raise _error(
            "on events, person has id, created_at, properties and properties.<key>; "
            "join the persons table for more",
            position,
        )

    def property(
        self, source: Source, kind: str, keys: list[str], column: str = "properties"
    ) -> str:
        alias = quote_identifier(source.alias)
        materialized = self.ctx.materialized if kind == "event" and column == "properties" else {}
        if len(keys) == 1 and keys[0] in materialized and source.table is TABLES["events"]:
            text = f"{alias}.{quote_identifier(materialized[keys[0]])}"
        else:
            text = text_form_expression(f"{alias}.{column}", self._path(keys))
        value = f"nullIf({text}, '')"
        return _typed(value, self.property_types.get((kind, keys[0])) if len(keys) == 1 else None)

    def json_value(self, column: str, keys: list[str]) -> str:
        return f"nullIf({text_form_expression(column, self._path(keys))}, '')"

    def _path(self, keys: list[str]) -> str:
        params = self.ctx.params
        return ", ".join(str(int(k)) if k.isdigit() else params.string(k) for k in keys)


def _typed(value: str, property_type: str | None) -> str:
    if property_type == "Numeric":
        return f"toFloat64OrNull({value})"
    if property_type == "Boolean":
        return f"multiIf(lower({value}) = 'true', true, lower({value}) = 'false', false, NULL)"
    if property_type == "DateTime":
        return f"parseDateTime64BestEffortOrNull({value}, 6)"
    return value


def _error(message: str, position: int) -> ResolveError:
    return ResolveError(message, position)
