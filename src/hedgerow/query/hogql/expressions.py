"""Expressions: the part of the parser below SELECT, by ClickHouse's operator precedence.

From loosest to tightest: lambda `->`, `? :`, OR, AND, NOT, comparisons (`=`, `LIKE`, `IN`,
`BETWEEN`, `IS NULL`), `||`, `+ -`, `* / %`, unary minus, then `x[i]`, `x::Type` and names.
"""

from __future__ import annotations

from hedgerow.query.hogql import nodes as n
from hedgerow.query.hogql.tokenizer import Kind, SqlSyntaxError, Token

MAX_DEPTH = 64


def _words(text: str) -> list[str]:
    return text.split()


KEYWORDS = frozenset(
    _words(
        """ALL AND ANTI ANY ARRAY AS ASC ASCENDING ASOF BETWEEN BY CASE CAST CROSS DESC DESCENDING
    DISTINCT ELSE END EXCEPT FINAL FORMAT FROM FULL GLOBAL GROUP HAVING ILIKE IN INNER INTERSECT
    INTERVAL INTO IS JOIN LEFT LIKE LIMIT NOT NULL NULLS OFFSET ON OR ORDER OUTER OVER PREWHERE
    QUALIFY TRUE FALSE
    RIGHT SAMPLE SELECT SEMI SETTINGS THEN UNION USING WHEN WHERE WINDOW WITH"""
    )
)

INTERVAL_UNITS = ("SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR")

# Types that CAST and `::` may name. Parameters are checked by the parser.
CAST_TYPES = frozenset(
    _words(
        """String Int8 Int16 Int32 Int64 UInt8 UInt16 UInt32 UInt64 Float32 Float64 Bool Boolean
    Date Date32 DateTime DateTime64 UUID Decimal Nullable Array LowCardinality"""
    )
)
_COMPARISONS = ("=", "==", "!=", "<>", "<", "<=", ">", ">=", "=~", "!~", "=~*", "!~*")


class ExpressionParser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.position = 0
        self.depth = 0
        self.last_end = 0

    # -- token navigation -------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.position + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        if token.kind is not Kind.END:
            self.position += 1
            self.last_end = token.end
        return token

    def error(self, message: str, token: Token) -> SqlSyntaxError:
        return SqlSyntaxError(message, token.start, self.text)

    def accept_word(self, *words: str) -> bool:
        if self.peek().is_word(*words):
            self.advance()
            return True
        return False

    def accept_symbol(self, symbol: str) -> bool:
        if self.peek().is_symbol(symbol):
            self.advance()
            return True
        return False

    def expect_word(self, word: str) -> Token:
        token = self.peek()
        if not token.is_word(word):
            raise self.error(f"expected {word}, found {token.describe()}", token)
        return self.advance()

    def expect_symbol(self, symbol: str) -> Token:
        token = self.peek()
        if not token.is_symbol(symbol):
            raise self.error(f"expected {symbol!r}, found {token.describe()}", token)
        return self.advance()

    def is_keyword(self, token: Token) -> bool:
        return token.kind is Kind.WORD and token.value.upper() in KEYWORDS

    def name(self, what: str) -> str:
        token = self.peek()
        if token.kind is Kind.NAME or (token.kind is Kind.WORD and not self.is_keyword(token)):
            self.advance()
            return token.value
        raise self.error(f"expected {what}, found {token.describe()}", token)

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the query nests deeper than {MAX_DEPTH} levels", token)

    def query(self) -> n.Query:  # provided by the statement parser
        raise NotImplementedError

    # -- expressions ------------------------------------------------------------------

    def expr_list(self) -> list[n.Expr]:
        items = [self.expr()]
        while self.accept_symbol(","):
            items.append(self.expr())
        return items

    def expr(self) -> n.Expr:
        self.enter(self.peek())
        try:
            lam = self._lambda()
            return lam if lam is not None else self._ternary()
        finally:
            self.depth -= 1

    def _lambda(self) -> n.Lambda | None:
        token = self.peek()
        params: list[str] = []
        if token.kind is Kind.WORD and self.peek(1).is_symbol("->"):
            params, used = [token.value], 1
        elif token.is_symbol("("):
            i = 1
            while self.peek(i).kind is Kind.WORD:
                params.append(self.peek(i).value)
                if self.peek(i + 1).is_symbol(","):
                    i += 2
                    continue
                break
            used = i + 2
            closes = self.peek(i + 1).is_symbol(")") and self.peek(i + 2).is_symbol("->")
            if not (params and closes):
                return None
        else:
            return None
        for _ in range(used):
            self.advance()
        self.expect_symbol("->")
        return n.Lambda(params, self.expr(), token.start)

    def _ternary(self) -> n.Expr:
        condition = self._or()
        token = self.peek()
        if token.is_symbol("?"):
            self.advance()
            then = self.expr()
            self.expect_symbol(":")
            otherwise = self.expr()
            return n.Call("if", [condition, then, otherwise], start=token.start)
        return condition

    def _or(self) -> n.Expr:
        left = self._and()
        while self.peek().is_word("OR"):
            token = self.advance()
            left = n.Binary("OR", left, self._and(), token.start)
        return left

    def _and(self) -> n.Expr:
        left = self._not()
        while self.peek().is_word("AND"):
            token = self.advance()
            left = n.Binary("AND", left, self._not(), token.start)
        return left

    def _not(self) -> n.Expr:
        token = self.peek()
        if token.is_word("NOT"):
            self.advance()
            self.enter(token)
            try:
                return n.Unary("NOT", self._not(), token.start)
            finally:
                self.depth -= 1
        return self._comparison()

    def _comparison(self) -> n.Expr:
        left = self._concat()
        token = self.peek()
        if token.kind is Kind.SYMBOL and token.value in _COMPARISONS:
            self.advance()
            op = {"==": "=", "<>": "!="}.get(token.value, token.value)
            return n.Compare(op, left, self._concat(), token.start)
        negated = False
        if token.is_word("NOT") and self.peek(1).is_word("LIKE", "ILIKE", "IN", "BETWEEN"):
            self.advance()
            negated = True
            token = self.peek()
        if token.is_word("LIKE", "ILIKE"):
            self.advance()
            op = ("NOT " if negated else "") + token.value.upper()
            return n.Compare(op, left, self._concat(), token.start)
        if token.is_word("IN"):
            self.advance()
            return n.InList(left, self._in_values(), negated, token.start)
        if token.is_word("BETWEEN"):
            self.advance()
            low = self._concat()
            self.expect_word("AND")
            return n.Between(left, low, self._concat(), negated, token.start)
        if token.is_word("IS"):
            self.advance()
            is_not = self.accept_word("NOT")
            self.expect_word("NULL")
            return n.IsNull(left, is_not, token.start)
        return left

    def _in_values(self) -> list[n.Expr] | n.Subquery:
        token = self.peek()
        if token.is_symbol("(") and self.peek(1).is_word("SELECT", "WITH"):
            self.advance()
            self.enter(token)
            try:
                query = self.query()
            finally:
                self.depth -= 1
            self.expect_symbol(")")
            return n.Subquery(query, token.start)
        if token.is_symbol("("):
            self.advance()
            if self.accept_symbol(")"):
                return []
            values = self.expr_list()
            self.expect_symbol(")")
            return values
        return [self._concat()]

    def _concat(self) -> n.Expr:
        left = self._additive()
        while self.peek().is_symbol("||"):
            token = self.advance()
            left = n.Binary("||", left, self._additive(), token.start)
        return left

    def _additive(self) -> n.Expr:
        left = self._multiplicative()
        while self.peek().is_symbol("+", "-"):
            token = self.advance()
            left = n.Binary(token.value, left, self._multiplicative(), token.start)
        return left

    def _multiplicative(self) -> n.Expr:
        left = self._unary()
        while self.peek().is_symbol("*", "/", "%"):
            token = self.advance()
            left = n.Binary(token.value, left, self._unary(), token.start)
        return left

    def _unary(self) -> n.Expr:
        token = self.peek()
        if token.is_symbol("-"):
            self.advance()
            self.enter(token)
            try:
                operand = self._unary()
            finally:
                self.depth -= 1
            value = operand.value if isinstance(operand, n.Constant) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                return n.Constant(-value, token.start)
            return n.Unary("-", operand, token.start)
        if token.is_symbol("+"):
            self.advance()
            return self._unary()
        return self._postfix()

    def _postfix(self) -> n.Expr:
        expr = self._primary()
        while True:
            token = self.peek()
            if token.is_symbol("["):
                self.advance()
                index = self.expr()
                self.expect_symbol("]")
                key = index.value if isinstance(index, n.Constant) else None
                if isinstance(expr, n.Field) and isinstance(key, str):
                    expr.chain.append(key)
                    continue
                expr = n.Index(expr, index, token.start)
            elif token.is_symbol("::"):
                self.advance()
                expr = n.Cast(expr, self.type_name(), token.start)
            else:
                return expr

    # -- primaries --------------------------------------------------------------------

    def _primary(self) -> n.Expr:
        token = self.peek()
        if token.kind is Kind.NUMBER:
            self.advance()
            return n.Constant(_number(token), token.start)
        if token.kind is Kind.STRING:
            self.advance()
            return n.Constant(token.value, token.start)
        if token.is_symbol("("):
            return self._parenthesized()
        if token.is_symbol("["):
            self.advance()
            items = [] if self.peek().is_symbol("]") else self.expr_list()
            self.expect_symbol("]")
            return n.ArrayLiteral(items, token.start)
        if token.is_symbol("*"):
            self.advance()
            return n.Star(None, token.start)
        if token.is_word("NULL"):
            self.advance()
            return n.Constant(None, token.start)
        if token.is_word("TRUE", "FALSE"):
            self.advance()
            return n.Constant(token.value.upper() == "TRUE", token.start)
        if token.is_word("CASE"):
            return self._case()
        if token.is_word("CAST") and self.peek(1).is_symbol("("):
            self.advance()
            self.advance()
            operand = self.expr()
            self.expect_word("AS")
            type_name = self.type_name()
            self.expect_symbol(")")
            return n.Cast(operand, type_name, token.start)
        if token.is_word("INTERVAL"):
            self.advance()
            amount = self._unary()
            unit = self.peek()
            plural = unit.value.upper().rstrip("S")
            if unit.kind is not Kind.WORD or plural not in INTERVAL_UNITS:
                raise self.error(f"expected an interval unit ({', '.join(INTERVAL_UNITS)})", unit)
            self.advance()
            return n.Interval(amount, plural, token.start)
        if token.kind is Kind.NAME or (token.kind is Kind.WORD and not self.is_keyword(token)):
            return self._name_or_call()
        if token.is_word("LEFT", "RIGHT") and self.peek(1).is_symbol("("):
            return self._call(self.advance())  # the string functions left() and right()
        raise self.error(f"unexpected {token.describe()}", token)

    def _parenthesized(self) -> n.Expr:
        token = self.advance()
        self.enter(token)
        try:
            if self.peek().is_word("SELECT", "WITH"):
                query = self.query()
                self.expect_symbol(")")
                return n.Subquery(query, token.start)
            if self.peek().is_symbol(")"):
                self.advance()
                return n.TupleLiteral([], token.start)
            items = self.expr_list()
            self.expect_symbol(")")
        finally:
            self.depth -= 1
        return items[0] if len(items) == 1 else n.TupleLiteral(items, token.start)

    def _case(self) -> n.Case:
        start = self.advance().start
        subject = None if self.peek().is_word("WHEN") else self.expr()
        whens: list[tuple[n.Expr, n.Expr]] = []
        while self.accept_word("WHEN"):
            condition = self.expr()
            self.expect_word("THEN")
            whens.append((condition, self.expr()))
        if not whens:
            raise self.error("CASE needs at least one WHEN ... THEN", self.peek())
        otherwise = self.expr() if self.accept_word("ELSE") else None
        self.expect_word("END")
        return n.Case(subject, whens, otherwise, start)

    def _name_or_call(self) -> n.Expr:
        token = self.advance()
        if self.peek().is_symbol("(") and token.kind is Kind.WORD:
            return self._call(token)
        chain = [token.value]
        while self.peek().is_symbol("."):
            self.advance()
            part = self.peek()
            if part.is_symbol("*"):
                self.advance()
                if len(chain) != 1:
                    raise self.error("write table.* with a table name or alias", part)
                return n.Star(chain[0], token.start)
            digits = part.kind is Kind.NUMBER and part.value.isdigit()
            if part.kind in (Kind.WORD, Kind.NAME) or digits:
                chain.append(part.value)
            else:
                raise self.error(f"expected a name after '.', found {part.describe()}", part)
            self.advance()
        return n.Field(chain, token.start)

    def _call(self, name: Token) -> n.Call:
        self.enter(name)
        try:
            args, distinct = self._arguments()
            params = None
            if self.peek().is_symbol("("):  # a parametric aggregate: quantile(0.9)(x)
                params = args
                args, distinct = self._arguments()
        finally:
            self.depth -= 1
        if self.peek().is_word("OVER"):
            raise self.error("window functions (OVER) are not supported", self.peek())
        return n.Call(name.value, args, params, distinct, name.start)

    def _arguments(self) -> tuple[list[n.Expr], bool]:
        self.expect_symbol("(")
        if self.accept_symbol(")"):
            return [], False
        distinct = self.accept_word("DISTINCT")
        args = self.expr_list()
        self.expect_symbol(")")
        return args, distinct

    def type_name(self) -> str:
        """A type for CAST, checked against a short list and printed back normalized."""
        token = self.peek()
        if token.kind is not Kind.WORD or token.value not in CAST_TYPES:
            raise self.error(
                f"expected a type ({', '.join(sorted(CAST_TYPES))}), found {token.describe()}",
                token,
            )
        self.advance()
        name = "Bool" if token.value == "Boolean" else token.value
        if not self.accept_symbol("("):
            return name
        args: list[str] = []
        while True:
            arg = self.peek()
            if arg.kind is Kind.NUMBER and arg.value.isdigit():
                self.advance()
                args.append(arg.value)
            elif arg.kind is Kind.STRING and name in ("DateTime", "DateTime64"):
                self.advance()
                args.append(_timezone_literal(arg, self))
            elif arg.kind is Kind.WORD:
                args.append(self.type_name())
            else:
                raise self.error(f"unexpected {arg.describe()} in a type", arg)
            if not self.accept_symbol(","):
                break
        self.expect_symbol(")")
        return f"{name}({', '.join(args)})"


def _timezone_literal(token: Token, parser: ExpressionParser) -> str:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-")
    if not token.value or set(token.value) - allowed:
        raise parser.error("expected a time zone name", token)
    return f"'{token.value}'"


def _number(token: Token) -> int | float:
    text = token.value
    if text[:2] in ("0x", "0X"):
        return int(text, 16)
    if text.isdigit():
        return int(text)
    return float(text)
