"""A recursive-descent parser for the SELECT subset of ClickHouse SQL that Hedgerow runs.

`parse_query(text)` returns a tree (`nodes`) or raises `SqlSyntaxError` with the position.
Only one SELECT statement (with UNION, CTEs and subqueries) is accepted; writes, SETTINGS,
FORMAT and INTO OUTFILE are refused here with a message saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hedgerow.query.hogql import nodes as n
from hedgerow.query.hogql.expressions import ExpressionParser
from hedgerow.query.hogql.tokenizer import Kind, SqlSyntaxError, Token, tokenize

_STATEMENTS = (
    "INSERT",
    "ALTER",
    "DROP",
    "CREATE",
    "DELETE",
    "UPDATE",
    "TRUNCATE",
    "RENAME",
    "ATTACH",
    "DETACH",
    "OPTIMIZE",
    "GRANT",
    "REVOKE",
    "SET",
    "SYSTEM",
    "KILL",
    "USE",
    "SHOW",
    "DESCRIBE",
    "DESC",
    "EXPLAIN",
    "EXCHANGE",
    "BACKUP",
    "RESTORE",
    "UNDROP",
    "MOVE",
    "CHECK",
    "WATCH",
)
_JOIN_KINDS = ("INNER", "LEFT", "RIGHT", "FULL", "CROSS")
_STRICTNESS = ("ANY", "ALL", "SEMI", "ANTI", "ASOF")
_UNSUPPORTED_CLAUSES = {
    "PREWHERE": "PREWHERE is not supported; use WHERE",
    "SAMPLE": "SAMPLE is not supported",
    "FINAL": "FINAL is not needed: the tables already show current rows",
    "ARRAY": "ARRAY JOIN is not supported; use arrayJoin() in the select list",
    "WINDOW": "window functions are not supported",
    "QUALIFY": "QUALIFY is not supported",
    "GLOBAL": "GLOBAL joins are not supported",
}


class Parser(ExpressionParser):
    def __init__(self, text: str) -> None:
        super().__init__(text, tokenize(text))

    # -- statements -------------------------------------------------------------------

    def statement(self) -> n.Query:
        first = self.peek()
        if first.is_word(*_STATEMENTS):
            raise self.error(
                f"only SELECT queries can be run; {first.value.upper()} is not allowed", first
            )
        if not (first.is_word("SELECT", "WITH") or first.is_symbol("(")):
            raise self.error(f"expected SELECT, found {first.describe()}", first)
        query = self.query()
        if self.peek().is_symbol(";"):
            self.advance()
            if self.peek().kind is not Kind.END:
                raise self.error("only one statement can be run at a time", self.peek())
        self._refuse_trailing_clause()
        end = self.peek()
        if end.kind is not Kind.END:
            raise self.error(f"unexpected {end.describe()}", end)
        return query

    def _refuse_trailing_clause(self) -> None:
        token = self.peek()
        if token.is_word("SETTINGS"):
            raise self.error(
                "SETTINGS cannot be changed in a query; Hedgerow sets the query limits", token
            )
        if token.is_word("FORMAT"):
            raise self.error("FORMAT cannot be chosen; results are returned as JSON", token)
        if token.is_word("INTO"):
            raise self.error("INTO OUTFILE is not allowed: queries only read", token)

    def query(self) -> n.Query:
        """A SELECT, a UNION of them, with optional CTEs in front."""
        start = self.peek().start
        ctes: dict[str, n.Query] = {}
        if self.peek().is_word("WITH"):
            self.advance()
            while True:
                name = self.name("a CTE name")
                self.expect_word("AS")
                self.expect_symbol("(")
                with self.nested():
                    ctes[name] = self.query()
                self.expect_symbol(")")
                if not self.accept_symbol(","):
                    break
        selects = [self.select_core()]
        flags: list[bool] = []
        while self.peek().is_word("UNION"):
            self.advance()
            if self.accept_word("ALL"):
                flags.append(True)
            elif self.accept_word("DISTINCT"):
                flags.append(False)
            else:
                raise self.error("write UNION ALL or UNION DISTINCT", self.peek())
            selects.append(self.select_core())
        result: n.Query
        result = selects[0] if len(selects) == 1 else n.UnionQuery(selects, flags, start)
        if ctes:
            if isinstance(result, n.UnionQuery):
                result.selects[0].ctes.update(ctes)
            else:
                result.ctes.update(ctes)
        return result

    def select_core(self) -> n.Select:
        if self.peek().is_symbol("("):
            token = self.advance()
            with self.nested():
                inner = self.query()
            self.expect_symbol(")")
            if isinstance(inner, n.UnionQuery):
                raise self.error("put a UNION inside a subquery in FROM", token)
            return inner
        start = self.expect_word("SELECT").start
        select = n.Select(columns=[], start=start)
        select.distinct = self.accept_word("DISTINCT")
        if self.peek().is_word("ALL"):
            self.advance()
        while True:
            begin = self.peek().start
            column = self.select_column()
            select.columns.append(column)
            select.column_texts.append(self.text[begin : self.last_end].strip())
            if not self.accept_symbol(","):
                break
        if self.accept_word("FROM"):
            select.from_ = self.from_clause()
        self._refuse_clause()
        if self.accept_word("WHERE"):
            select.where = self.expr()
        if self.accept_word("GROUP"):
            self.expect_word("BY")
            select.group_by = self.expr_list()
            if self.peek().is_word("WITH"):
                raise self.error("WITH ROLLUP/CUBE/TOTALS is not supported", self.peek())
        if self.accept_word("HAVING"):
            select.having = self.expr()
        self._refuse_clause()
        if self.accept_word("ORDER"):
            self.expect_word("BY")
            select.order_by = self.order_list()
        if self.accept_word("LIMIT"):
            first = self.integer()
            if self.accept_symbol(","):
                select.offset, select.limit = first, self.integer()
            else:
                select.limit = first
                if self.peek().is_word("BY"):
                    raise self.error("LIMIT BY is not supported", self.peek())
                if self.accept_word("OFFSET"):
                    select.offset = self.integer()
        elif self.accept_word("OFFSET"):
            select.offset = self.integer()
        self._refuse_trailing_clause()
        return select

    def _refuse_clause(self) -> None:
        token = self.peek()
        for word, message in _UNSUPPORTED_CLAUSES.items():
            if token.is_word(word):
                raise self.error(message, token)

    def select_column(self) -> n.Expr | n.Alias:
        expr = self.expr()
        token = self.peek()
        if token.is_word("AS"):
            self.advance()
            return n.Alias(expr, self.name("an alias"), token.start)
        if (token.kind is Kind.WORD and not self.is_keyword(token)) or token.kind is Kind.NAME:
            self.advance()
            return n.Alias(expr, token.value, token.start)
        return expr

    def integer(self) -> int:
        token = self.advance()
        if token.kind is not Kind.NUMBER or not token.value.isdigit():
            raise self.error(f"expected a whole number, found {token.describe()}", token)
        return int(token.value)

    def order_list(self) -> list[n.OrderItem]:
        items = []
        while True:
            item = n.OrderItem(self.expr())
            if self.accept_word("DESC", "DESCENDING"):
                item.descending = True
            else:
                self.accept_word("ASC", "ASCENDING")
            if self.accept_word("NULLS"):
                token = self.advance()
                if not token.is_word("FIRST", "LAST"):
                    raise self.error("expected NULLS FIRST or NULLS LAST", token)
                item.nulls = token.value.upper()
            if self.peek().is_word("COLLATE", "WITH"):
                raise self.error(f"{self.peek().value.upper()} is not supported", self.peek())
            items.append(item)
            if not self.accept_symbol(","):
                return items

    # -- FROM and JOIN ------------------------------------------------------------------

    def from_clause(self) -> n.FromItem:
        item: n.FromItem = self.from_primary()
        while True:
            token = self.peek()
            if token.is_symbol(","):
                self.advance()
                item = n.Join("CROSS", item, self.from_primary(), None, start=token.start)
                continue
            kind, strictness = self.join_kind()
            if kind is None:
                return item
            right = self.from_primary()
            on: n.Expr | None = None
            using: list[str] | None = None
            if kind != "CROSS":
                if self.accept_word("ON"):
                    on = self.expr()
                elif self.accept_word("USING"):
                    parens = self.accept_symbol("(")
                    using = [self.name("a column name")]
                    while self.accept_symbol(","):
                        using.append(self.name("a column name"))
                    if parens:
                        self.expect_symbol(")")
                else:
                    raise self.error("a JOIN needs ON or USING", self.peek())
            item = n.Join(kind, item, right, on, using, strictness, token.start)

    def join_kind(self) -> tuple[str | None, str]:
        """Reads `[kind] [OUTER] [strictness] JOIN` in either order; (None, '') if no join."""
        kind: str | None = None
        strictness = ""
        start = self.position
        while True:
            token = self.peek()
            if token.is_word(*_JOIN_KINDS) and kind is None:
                kind = token.value.upper()
            elif token.is_word(*_STRICTNESS) and not strictness:
                strictness = token.value.upper()
            elif token.is_word("OUTER") and kind in ("LEFT", "RIGHT", "FULL"):
                pass
            elif token.is_word("GLOBAL"):
                raise self.error("GLOBAL joins are not supported", token)
            elif token.is_word("JOIN"):
                self.advance()
                return kind or "INNER", strictness
            else:
                if self.position != start:
                    raise self.error(f"expected JOIN, found {token.describe()}", token)
                return None, ""
            self.advance()

    def from_primary(self) -> n.TableRef | n.SubqueryTable:
        token = self.peek()
        if token.is_symbol("("):
            self.advance()
            if not (self.peek().is_word("SELECT", "WITH") or self.peek().is_symbol("(")):
                raise self.error("expected a subquery after '('", self.peek())
            with self.nested():
                query = self.query()
            self.expect_symbol(")")
            return n.SubqueryTable(query, self.table_alias(), token.start)
        if token.kind not in (Kind.WORD, Kind.NAME) or self.is_keyword(token):
            raise self.error(f"expected a table name, found {token.describe()}", token)
        self.advance()
        parts = [token.value]
        while self.peek().is_symbol("."):
            self.advance()
            parts.append(self.name("a table name"))
        name = ".".join(parts)
        if self.peek().is_symbol("("):
            raise self.error(
                f"table functions like {name}() are not allowed; "
                "query events, persons or person_distinct_ids",
                token,
            )
        return n.TableRef(name, self.table_alias(), token.start)

    def table_alias(self) -> str | None:
        token = self.peek()
        if token.is_word("AS"):
            self.advance()
            return self.name("an alias")
        if token.kind is Kind.NAME or (token.kind is Kind.WORD and not self.is_keyword(token)):
            self.advance()
            return token.value
        if token.is_word("FINAL", "SAMPLE"):
            self._refuse_clause()
        return None

    # -- helpers ------------------------------------------------------------------------

    @contextmanager
    def nested(self) -> Iterator[None]:
        self.enter(self.peek())
        try:
            yield
        finally:
            self.depth -= 1


def parse_query(text: str) -> n.Query:
    if not text.strip():
        raise SqlSyntaxError("the query is empty", 0, text)
    return Parser(text).statement()


__all__ = ["SqlSyntaxError", "Token", "parse_query"]
