"""The tree a SQL query parses into. The printer writes ClickHouse SQL from it.

Every node records `start` (its offset in the query text) so that errors found after parsing
can still point at the place in the query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

Expr = Union[
    "Constant",
    "Field",
    "Call",
    "Binary",
    "Unary",
    "Compare",
    "Between",
    "InList",
    "IsNull",
    "Case",
    "Lambda",
    "ArrayLiteral",
    "TupleLiteral",
    "Index",
    "Cast",
    "Interval",
    "Star",
    "Subquery",
]


@dataclass
class Constant:
    value: str | int | float | bool | None
    start: int = 0


@dataclass
class Field:
    """A name, possibly dotted or with `['key']` parts: `event`, `e.properties.planId`."""

    chain: list[str]
    start: int = 0


@dataclass
class Call:
    name: str
    args: list[Expr]
    params: list[Expr] | None = None  # quantile(0.9)(x): the (0.9)
    distinct: bool = False
    start: int = 0


@dataclass
class Binary:
    """Arithmetic (`+ - * / %`), string `||`, and `AND`/`OR` (op is upper case)."""

    op: str
    left: Expr
    right: Expr
    start: int = 0


@dataclass
class Unary:
    op: str  # "-" or "NOT"
    operand: Expr
    start: int = 0


@dataclass
class Compare:
    """`= != < <= > >= LIKE ILIKE NOT LIKE NOT ILIKE =~ !~ =~* !~*`."""

    op: str
    left: Expr
    right: Expr
    start: int = 0


@dataclass
class Between:
    operand: Expr
    low: Expr
    high: Expr
    negated: bool = False
    start: int = 0


@dataclass
class InList:
    """`x IN (1, 2)`, `x IN (SELECT ...)`, `x IN array`; `values` is a list or a Subquery."""

    operand: Expr
    values: list[Expr] | Subquery
    negated: bool = False
    start: int = 0


@dataclass
class IsNull:
    operand: Expr
    negated: bool = False
    start: int = 0


@dataclass
class Case:
    subject: Expr | None
    whens: list[tuple[Expr, Expr]]
    otherwise: Expr | None
    start: int = 0


@dataclass
class Lambda:
    params: list[str]
    body: Expr
    start: int = 0


@dataclass
class ArrayLiteral:
    items: list[Expr]
    start: int = 0


@dataclass
class TupleLiteral:
    items: list[Expr]
    start: int = 0


@dataclass
class Index:
    """`arr[1]`, `map['k']` on an expression that is not a plain name."""

    operand: Expr
    index: Expr
    start: int = 0


@dataclass
class Cast:
    operand: Expr
    type_name: str  # already validated and normalized by the parser
    start: int = 0


@dataclass
class Interval:
    amount: Expr
    unit: str  # SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR
    start: int = 0


@dataclass
class Star:
    table: str | None = None
    start: int = 0


@dataclass
class Subquery:
    query: Query
    start: int = 0


@dataclass
class Alias:
    expr: Expr
    name: str
    start: int = 0


@dataclass
class TableRef:
    """A name in FROM: `events`, `persons`, `person_distinct_ids` or a CTE."""

    name: str
    alias: str | None
    start: int = 0


@dataclass
class SubqueryTable:
    query: Query
    alias: str | None
    start: int = 0


@dataclass
class Join:
    kind: str  # "INNER", "LEFT", "RIGHT", "FULL", "CROSS", with "ANY"/"SEMI"/... in `strictness`
    left: FromItem
    right: FromItem
    on: Expr | None
    using: list[str] | None = None
    strictness: str = ""
    start: int = 0


FromItem = TableRef | SubqueryTable | Join


@dataclass
class OrderItem:
    expr: Expr
    descending: bool = False
    nulls: str = ""  # "", "FIRST" or "LAST"


@dataclass
class Select:
    columns: list[Expr | Alias]
    distinct: bool = False
    from_: FromItem | None = None
    where: Expr | None = None
    group_by: list[Expr] = field(default_factory=list)
    having: Expr | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    ctes: dict[str, Query] = field(default_factory=dict)
    # The query text of each column, for naming result columns without aliases.
    column_texts: list[str] = field(default_factory=list)
    start: int = 0


@dataclass
class UnionQuery:
    """`SELECT ... UNION ALL SELECT ...` (`all` False for UNION DISTINCT)."""

    selects: list[Select]
    all: list[bool]
    start: int = 0


Query = Select | UnionQuery
