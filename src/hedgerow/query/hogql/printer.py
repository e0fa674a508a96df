"""Writing ClickHouse SQL from a parsed query.

Everything printed comes from the tree: names are resolved through `Scope` to columns of
project-scoped subqueries, functions through the allowlist, string literals become query
parameters, numbers are printed from their parsed values, and operators get spaces around
them (so that `- -1` can never print as a `--` comment).
"""

from __future__ import annotations

from dataclasses import dataclass

from hedgerow.query.hogql import nodes as n
from hedgerow.query.hogql.functions import TEXT_ARGUMENT, resolve_function
from hedgerow.query.hogql.scope import PropertyTypes, ResolveError, Scope, Source
from hedgerow.query.hogql.tables import TABLES, TableContext
from hedgerow.store.schema import quote_identifier

_COMPARE = {
    "=": "=",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "LIKE": "LIKE",
    "NOT LIKE": "NOT LIKE",
    "ILIKE": "ILIKE",
    "NOT ILIKE": "NOT ILIKE",
}


# Names of the stored tables' columns that queries cannot see: aliases may not take them, so
# that no alias could stand for one of them anywhere in the printed SQL.
RESERVED_ALIASES = frozenset({"team_id", "version", "is_deleted", "person_mode"})


@dataclass
class Printed:
    sql: str
    names: list[str | None]  # output column names (None: unnamed expression)


class Printer:
    def __init__(self, ctx: TableContext, property_types: PropertyTypes | None = None) -> None:
        self.ctx = ctx
        self.property_types = property_types or {}
        self.subqueries = 0

    # -- queries ----------------------------------------------------------------------

    def query(self, query: n.Query, ctes: dict[str, n.Query]) -> Printed:
        if isinstance(query, n.UnionQuery):
            parts = [self.select(s, ctes) for s in query.selects]
            sql = parts[0].sql
            for flag, part in zip(query.all, parts[1:], strict=True):
                sql += (" UNION ALL " if flag else " UNION DISTINCT ") + part.sql
            return Printed(sql, parts[0].names)
        return self.select(query, ctes)

    def select(self, select: n.Select, ctes: dict[str, n.Query], top: bool = False) -> Printed:
        visible = {**ctes, **select.ctes}
        scope = Scope(self.ctx, self.property_types, ctes=visible)
        by_item: dict[int, Source] = {}
        if select.from_ is not None:
            self._sources(select.from_, scope, visible, by_item)
        scope.aliases = {c.name for c in select.columns if isinstance(c, n.Alias)}

        columns: list[str] = []
        names: list[str | None] = []
        for position, column in enumerate(select.columns):
            expr = column.expr if isinstance(column, n.Alias) else column
            if isinstance(expr, n.Star):
                for source in self._star_sources(expr, scope):
                    for name in source.table.star if source.table else source.columns:
                        sql = scope.column(source, [name], expr.start)
                        columns.append(sql if top else f"{sql} AS {quote_identifier(name)}")
                        names.append(name)
                continue
            sql = self.expr(expr, scope)
            if isinstance(column, n.Alias):
                if column.name.lower() in RESERVED_ALIASES:
                    raise ResolveError(f"the alias {column.name!r} is reserved", column.start)
                columns.append(f"{sql} AS {quote_identifier(column.name)}")
                names.append(column.name)
            elif isinstance(expr, n.Field) and not top and expr.chain[-1] not in names:
                columns.append(f"{sql} AS {quote_identifier(expr.chain[-1])}")
                names.append(expr.chain[-1])
            else:
                columns.append(sql)
                names.append(select.column_texts[position] if top else None)

        parts = ["SELECT", "DISTINCT" if select.distinct else "", ", ".join(columns)]
        tail: list[str] = []
        if select.where is not None:
            tail.append("WHERE " + self.expr(select.where, scope))
        if select.group_by:
            tail.append("GROUP BY " + ", ".join(self.expr(e, scope) for e in select.group_by))
        if select.having is not None:
            tail.append("HAVING " + self.expr(select.having, scope))
        if select.order_by:
            tail.append("ORDER BY " + ", ".join(self._order(o, scope) for o in select.order_by))
        if select.limit is not None and not top:
            tail.append(f"LIMIT {select.limit}")
        if select.offset is not None and not top:
            tail.append(f"OFFSET {select.offset}")
        if select.from_ is not None:
            # ON conditions first: reading a person id there decides how events are printed.
            on_sql = {id(j): self.expr(j.on, scope) for j in _joins(select.from_) if j.on}
            parts.append("FROM " + self._from(select.from_, by_item, on_sql))
        return Printed(" ".join(p for p in [*parts, *tail] if p), names)

    def _sources(
        self, item: n.FromItem, scope: Scope, ctes: dict[str, n.Query], by_item: dict[int, Source]
    ) -> None:
        if isinstance(item, n.Join):
            self._sources(item.left, scope, ctes, by_item)
            self._sources(item.right, scope, ctes, by_item)
            return
        if isinstance(item, n.SubqueryTable) or item.name in ctes:
            if isinstance(item, n.SubqueryTable):
                inner, alias, rest = item.query, item.alias, ctes
            else:
                # A CTE cannot see itself: inside it, its name means the project table again.
                inner, alias = ctes[item.name], item.alias or item.name
                rest = {k: v for k, v in ctes.items() if k != item.name}
            printed = self.query(inner, rest)
            if alias is None:
                self.subqueries += 1
                alias = f"_subquery{self.subqueries}"
            columns = [name for name in printed.names if name is not None]
            source = Source(alias, None, columns, printed.sql)
        else:
            table = TABLES.get(item.name)
            if table is None:
                raise ResolveError(_unknown_table(item.name), item.start)
            source = Source(item.alias or item.name, table, list(table.columns))
        scope.add(source, item.start)
        by_item[id(item)] = source

    def _from(self, item: n.FromItem, by_item: dict[int, Source], on_sql: dict[int, str]) -> str:
        if isinstance(item, n.Join):
            left = self._from(item.left, by_item, on_sql)
            right = self._from(item.right, by_item, on_sql)
            words = " ".join(w for w in (item.kind, item.strictness, "JOIN") if w)
            sql = f"{left} {words} {right}"
            if item.on is not None:
                sql += f" ON {on_sql[id(item)]}"
            elif item.using:
                sql += " USING (" + ", ".join(quote_identifier(u) for u in item.using) + ")"
            return sql
        return by_item[id(item)].sql(self.ctx)

    def _star_sources(self, star: n.Star, scope: Scope) -> list[Source]:
        if star.table is None:
            if not scope.sources:
                raise ResolveError("SELECT * needs a FROM clause", star.start)
            return scope.sources
        source = scope.source(star.table)
        if source is None:
            raise ResolveError(f"there is no table {star.table!r} in FROM", star.start)
        return [source]

    def _order(self, item: n.OrderItem, scope: Scope) -> str:
        sql = self.expr(item.expr, scope) + (" DESC" if item.descending else " ASC")
        return sql + (f" NULLS {item.nulls}" if item.nulls else "")

    # -- expressions ------------------------------------------------------------------

    def expr(self, node: n.Expr, scope: Scope) -> str:
        if isinstance(node, n.Constant):
            return self._constant(node)
        if isinstance(node, n.Field):
            return scope.resolve(node.chain, node.start)
        if isinstance(node, n.Call):
            return self._call(node, scope)
        if isinstance(node, n.Binary):
            left, right = self.expr(node.left, scope), self.expr(node.right, scope)
            if node.op == "||":
                return f"concat({left}, {right})"
            return f"({left} {node.op} {right})"
        if isinstance(node, n.Unary):
            return f"({node.op} {self.expr(node.operand, scope)})"
        if isinstance(node, n.Compare):
            return self._compare(node, scope)
        if isinstance(node, n.Between):
            word = "NOT BETWEEN" if node.negated else "BETWEEN"
            low, high = self.expr(node.low, scope), self.expr(node.high, scope)
            return f"({self.expr(node.operand, scope)} {word} {low} AND {high})"
        if isinstance(node, n.InList):
            return self._in(node, scope)
        if isinstance(node, n.IsNull):
            word = "IS NOT NULL" if node.negated else "IS NULL"
            return f"({self.expr(node.operand, scope)} {word})"
        if isinstance(node, n.Case):
            return self._case(node, scope)
        if isinstance(node, n.ArrayLiteral):
            return "[" + ", ".join(self.expr(i, scope) for i in node.items) + "]"
        if isinstance(node, n.TupleLiteral):
            return "tuple(" + ", ".join(self.expr(i, scope) for i in node.items) + ")"
        if isinstance(node, n.Index):
            return f"arrayElement({self.expr(node.operand, scope)}, {self.expr(node.index, scope)})"
        if isinstance(node, n.Cast):
            return f"CAST({self.expr(node.operand, scope)} AS {node.type_name})"
        if isinstance(node, n.Interval):
            return f"toInterval{node.unit.title()}({self.expr(node.amount, scope)})"
        if isinstance(node, n.Subquery):
            return "(" + self.query(node.query, scope.ctes).sql + ")"
        if isinstance(node, n.Lambda):
            raise ResolveError("a lambda can only be an argument of a function", node.start)
        if isinstance(node, n.Star):
            raise ResolveError("* can only be selected or counted: count(*)", node.start)
        raise ResolveError("this expression is not supported", getattr(node, "start", 0))

    def _constant(self, node: n.Constant) -> str:
        value = node.value
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return f"({value})" if value < 0 else str(value)
        if isinstance(value, float):
            text = repr(value)
            if text in ("inf", "-inf", "nan"):
                raise ResolveError("numbers must be finite", node.start)
            return f"({text})" if value < 0 else text
        return self.ctx.params.string(value)

    def _call(self, node: n.Call, scope: Scope) -> str:
        name = resolve_function(node.name)
        if name is None:
            raise ResolveError(
                f"the function {node.name}() is not available; see docs/sql.md for the "
                "functions queries may call",
                node.start,
            )
        if name == "count" and len(node.args) == 1 and isinstance(node.args[0], n.Star):
            return "count()"
        args = [self._argument(a, scope) for a in node.args]
        if name in TEXT_ARGUMENT and args:
            args[0] = f"toString({args[0]})"
            if name == "parseDateTime64BestEffortOrNull":
                args.insert(1, "6")  # toDateTime(x[, tz]): microsecond precision
        distinct = "DISTINCT " if node.distinct else ""
        sql = f"{name}({distinct}{', '.join(args)})"
        if node.params is None:
            return sql
        params = []
        for param in node.params:
            if not isinstance(param, n.Constant) or isinstance(param.value, str | bool):
                raise ResolveError(f"the parameters of {node.name}() must be numbers", node.start)
            params.append(self._constant(param))
        return f"{name}({', '.join(params)})({distinct}{', '.join(args)})"

    def _argument(self, node: n.Expr, scope: Scope) -> str:
        if not isinstance(node, n.Lambda):
            return self.expr(node, scope)
        scope.lambdas.append(set(node.params))
        try:
            body = self.expr(node.body, scope)
        finally:
            scope.lambdas.pop()
        params = ", ".join(node.params)
        return f"(({params}) -> {body})" if len(node.params) > 1 else f"({params} -> {body})"

    def _compare(self, node: n.Compare, scope: Scope) -> str:
        left, right = self.expr(node.left, scope), self.expr(node.right, scope)
        if node.op in _COMPARE:
            return f"({left} {_COMPARE[node.op]} {right})"
        pattern = right if not node.op.endswith("*") else f"concat('(?i)', {right})"
        found = f"match({left}, {pattern})"
        return found if node.op.startswith("=") else f"(NOT {found})"

    def _in(self, node: n.InList, scope: Scope) -> str:
        operand = self.expr(node.operand, scope)
        word = "NOT IN" if node.negated else "IN"
        if isinstance(node.values, n.Subquery):
            return f"({operand} {word} ({self.query(node.values.query, scope.ctes).sql}))"
        if not node.values:
            return "true" if node.negated else "false"
        values = ", ".join(self.expr(v, scope) for v in node.values)
        return f"({operand} {word} ({values}))"

    def _case(self, node: n.Case, scope: Scope) -> str:
        sql = "CASE"
        if node.subject is not None:
            sql += " " + self.expr(node.subject, scope)
        for condition, result in node.whens:
            sql += f" WHEN {self.expr(condition, scope)} THEN {self.expr(result, scope)}"
        if node.otherwise is not None:
            sql += f" ELSE {self.expr(node.otherwise, scope)}"
        return sql + " END"


def _joins(item: n.FromItem) -> list[n.Join]:
    if not isinstance(item, n.Join):
        return []
    return [*_joins(item.left), *_joins(item.right), item]


def _unknown_table(name: str) -> str:
    lowered = name.lower()
    if "." in lowered:
        return (
            f"the table {name!r} is not available: queries read only this project's "
            "events, persons and person_distinct_ids (no database names, no system tables)"
        )
    return f"unknown table {name!r}; query events, persons or person_distinct_ids"
