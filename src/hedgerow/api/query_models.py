"""The body of `POST /api/projects/{id}/query/`: `{"query": {...}}`, one model per `kind`.

The models describe the fields the runners in `hedgerow.query` read, with their types and
the values they take (the lists come from the runners themselves). They check the shape;
the runners still get the query as a plain dict and check what needs the data (dates,
actions, regexes, formulas). Unknown fields are allowed: PostHog's clients send many that
Hedgerow does not use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from hedgerow.query.events_query import MAX_LIMIT
from hedgerow.query.filters import OPERATORS
from hedgerow.query.funnels import MAX_STEPS, ORDERS, VIZ_TYPES, WINDOW_UNITS
from hedgerow.query.retention import (
    MAX_TOTAL_INTERVALS,
    MEAN_CALCULATIONS,
    PERIODS,
    RETENTION_TYPES,
)
from hedgerow.query.timerange import INTERVALS
from hedgerow.query.trends import BREAKDOWN_TYPES
from hedgerow.query.trends_series import MATHS
from hedgerow.query.web_filters import WEB_FILTER_TYPES, WEB_OPERATORS
from hedgerow.query.web_scope import BREAKDOWNS
from hedgerow.query.web_stats_table import DEFAULT_LIMIT as WEB_DEFAULT_LIMIT
from hedgerow.query.web_stats_table import MAX_LIMIT as WEB_MAX_LIMIT

FILTER_TYPES = ("event", "person", "element", "action", "session")


def one_of(values: Sequence[str], code: str, message: str) -> Callable[[str], str]:
    """A check that a string is one of `values`; `message` may use {value} and {allowed}."""
    allowed = tuple(values)

    def check(value: str) -> str:
        if value not in allowed:
            context = {"value": repr(value), "allowed": ", ".join(allowed)}
            raise PydanticCustomError(code, message, context)
        return value

    return check


def enum(values: Sequence[str]) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(values)})


def non_empty(message: str) -> Callable[[list[Any]], list[Any]]:
    def check(value: list[Any]) -> list[Any]:
        if not value:
            raise PydanticCustomError("invalid_query", message)
        return value

    return check


Operator = Annotated[
    str,
    AfterValidator(
        one_of(OPERATORS, "invalid_filter", "Unknown operator {value}; use one of {allowed}.")
    ),
    enum(OPERATORS),
]
FilterType = Annotated[
    str,
    AfterValidator(
        one_of(FILTER_TYPES, "invalid_filter", "Unknown filter type {value}; use {allowed}.")
    ),
    enum(FILTER_TYPES),
]
Math = Annotated[
    str,
    AfterValidator(one_of(MATHS, "invalid_query", "Unknown math {value}; use one of {allowed}.")),
    enum(MATHS),
]
Interval = Annotated[
    str,
    AfterValidator(
        one_of(INTERVALS, "invalid_query", "Unknown interval {value}; use one of {allowed}.")
    ),
    enum(INTERVALS),
]
BreakdownType = Annotated[
    str,
    AfterValidator(
        one_of(
            BREAKDOWN_TYPES,
            "invalid_query",
            "Breakdowns are by an event or person property, or (hogql) the event's name: "
            "`breakdown_type` is one of {allowed}; got {value}.",
        )
    ),
    enum(BREAKDOWN_TYPES),
]
FunnelOrder = Annotated[
    str,
    AfterValidator(
        one_of(ORDERS, "invalid_query", "Unknown funnelOrderType {value}; use one of {allowed}.")
    ),
    enum(ORDERS),
]
FunnelViz = Annotated[
    str,
    AfterValidator(
        one_of(VIZ_TYPES, "invalid_query", "Unknown funnelVizType {value}; use one of {allowed}.")
    ),
    enum(VIZ_TYPES),
]
WindowUnit = Annotated[
    str,
    AfterValidator(
        one_of(
            list(WINDOW_UNITS),
            "invalid_query",
            "Unknown funnelWindowIntervalUnit {value}; use one of {allowed}.",
        )
    ),
    enum(list(WINDOW_UNITS)),
]


RetentionPeriod = Annotated[
    str,
    AfterValidator(one_of(PERIODS, "invalid_query", "Unknown period {value}; use {allowed}.")),
    enum(PERIODS),
]
RetentionType = Annotated[
    str,
    AfterValidator(
        one_of(RETENTION_TYPES, "invalid_query", "Unknown retentionType {value}; use {allowed}.")
    ),
    enum(RETENTION_TYPES),
]
MeanCalculation = Annotated[
    str,
    AfterValidator(
        one_of(
            MEAN_CALCULATIONS,
            "invalid_query",
            "Unknown meanRetentionCalculation {value}; use {allowed}.",
        )
    ),
    enum(MEAN_CALCULATIONS),
]
# An action id: an integer, or its digits as a string.
ActionId = int | Annotated[str, Field(pattern=r"^[0-9]+$")]


class Shape(BaseModel):
    """Unknown fields pass (and reach the runner untouched)."""

    model_config = ConfigDict(extra="allow")


class PropertyFilter(Shape):
    """One condition: `key` (a property, an element attribute, or an action id for
    `type: action`), `value`, `operator` (default `exact`) and `type` (default `event`)."""

    key: str | int | None = None
    value: Any = None
    operator: Operator = "exact"
    type: FilterType = "event"


def _filter_branch(value: Any) -> str:
    if isinstance(value, dict) and "values" in value and value.get("type") in ("AND", "OR"):
        return "group"
    return "filter"


FilterItem = Annotated[
    Annotated[PropertyFilter, Tag("filter")] | Annotated["FilterGroup", Tag("group")],
    Discriminator(_filter_branch),
]


class FilterGroup(Shape):
    """Filters joined by AND or OR; groups nest."""

    type: Literal["AND", "OR"] = "AND"
    values: list[FilterItem] = []


def _properties_branch(value: Any) -> str | None:
    if isinstance(value, list):
        return "list"
    return "group" if isinstance(value, dict) else None


# A list of filters (all must hold) or a group.
Properties = Annotated[
    Annotated[list[FilterItem], Tag("list")] | Annotated[FilterGroup, Tag("group")],
    Discriminator(
        _properties_branch,
        custom_error_type="invalid_filter",
        custom_error_message="`properties` must be a list or a group object.",
    ),
]


class DateRange(Shape):
    date_from: str | None = Field(None, description="ISO date or time, or relative: -7d, all")
    date_to: str | None = None
    explicitDate: bool | None = None


class SeriesFields(Shape):
    properties: Properties | None = None
    math: Math | None = None
    math_property: str | None = None
    math_property_type: str | None = None
    custom_name: str | None = None


class EventsNode(SeriesFields):
    kind: Literal["EventsNode"] = "EventsNode"
    event: str | None = Field(None, description="An event name; null for all events")


class ActionsNode(SeriesFields):
    kind: Literal["ActionsNode"]
    id: ActionId


def _node_branch(value: Any) -> str:
    return str(value.get("kind", "EventsNode")) if isinstance(value, dict) else "EventsNode"


SeriesNode = Annotated[
    Annotated[EventsNode, Tag("EventsNode")] | Annotated[ActionsNode, Tag("ActionsNode")],
    Discriminator(
        _node_branch,
        custom_error_type="invalid_query",
        custom_error_message="A series is an EventsNode or an ActionsNode (its `kind`).",
    ),
]
Series = Annotated[
    list[SeriesNode],
    AfterValidator(non_empty("A query needs `series`: a list of EventsNode/ActionsNode objects.")),
    Field(json_schema_extra={"minItems": 1}),
]


class BreakdownFilter(Shape):
    breakdown: str | None = None
    breakdown_type: BreakdownType | None = None
    breakdown_limit: int | None = Field(None, ge=1, le=1000)
    breakdown_hide_other_aggregation: bool | None = None


class CompareFilter(Shape):
    compare: bool | None = None
    compare_to: str | None = Field(None, description="A relative date in the past: -1y")


class FormulaNode(Shape):
    formula: str
    custom_name: str | None = None


class TrendsFilter(Shape):
    formulaNodes: list[FormulaNode] | None = None
    formulas: list[str] | None = None
    formula: str | None = None
    display: str | None = None


class FunnelsFilter(Shape):
    funnelOrderType: FunnelOrder | None = None
    funnelVizType: FunnelViz | None = Field(
        None, description="`steps` (default) or `time_to_convert` (a histogram of times)"
    )
    funnelWindowInterval: int = Field(14, ge=1)
    funnelWindowIntervalUnit: WindowUnit | None = None
    funnelFromStep: int | None = Field(
        None, ge=0, description="time_to_convert: times from this step (0 first; default 0)"
    )
    funnelToStep: int | None = Field(
        None, ge=1, description="time_to_convert: times to this step (default the last)"
    )
    binCount: int | None = Field(
        None, description="time_to_convert: number of bins, 1 to 90 (default from the data)"
    )


class EventsQuery(Shape):
    """A list of events, or counts of them: see docs/api.md#eventsquery."""

    kind: Literal["EventsQuery"]
    select: list[str] | None = None
    event: str | None = None
    actionId: ActionId | None = None
    personId: str | None = Field(
        None,
        description="Only this person's events (a person id; events stored before a merge "
        "count as the surviving person)",
    )
    properties: Properties | None = None
    after: str | None = None
    before: str | None = None
    orderBy: list[str] | None = None
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


class TrendsQuery(Shape):
    """Values per interval for each series: see docs/queries.md#trendsquery."""

    kind: Literal["TrendsQuery"]
    series: Series
    interval: Interval | None = None
    dateRange: DateRange | None = None
    properties: Properties | None = None
    breakdownFilter: BreakdownFilter | None = None
    compareFilter: CompareFilter | None = None
    trendsFilter: TrendsFilter | None = None


class FunnelsQuery(Shape):
    """Conversion through ordered steps: see docs/queries.md#funnelsquery."""

    kind: Literal["FunnelsQuery"]
    series: Annotated[Series, Field(max_length=MAX_STEPS)]
    dateRange: DateRange | None = None
    properties: Properties | None = None
    breakdownFilter: BreakdownFilter | None = None
    funnelsFilter: FunnelsFilter | None = None


class RetentionEntity(Shape):
    """The start or returning event: `{"id": "$pageview", "type": "events"}` or
    `{"id": 3, "type": "actions"}` (an EventsNode/ActionsNode is taken too), with its own
    `properties`."""

    id: str | int | None = Field(None, description="An event name (null: any event) or action id")
    type: Literal["events", "actions"] | None = None
    kind: Literal["EventsNode", "ActionsNode"] | None = None
    event: str | None = None
    name: str | None = None
    properties: Properties | None = None


class RetentionFilter(Shape):
    targetEntity: RetentionEntity | None = None
    returningEntity: RetentionEntity | None = None
    retentionType: RetentionType | None = None
    period: RetentionPeriod | None = None
    totalIntervals: int | None = Field(None, ge=1, le=MAX_TOTAL_INTERVALS)
    meanRetentionCalculation: MeanCalculation | None = None


class RetentionQuery(Shape):
    """Cohorts and how many of them come back: see docs/queries.md#retentionquery."""

    kind: Literal["RetentionQuery"]
    retentionFilter: RetentionFilter | None = None
    dateRange: DateRange | None = None
    properties: Properties | None = None
    breakdownFilter: BreakdownFilter | None = None


class LifecycleQuery(Shape):
    """New, returning, resurrecting and dormant persons: docs/queries.md#lifecyclequery."""

    kind: Literal["LifecycleQuery"]
    series: Annotated[Series, Field(max_length=1)]
    interval: Interval | None = None
    dateRange: DateRange | None = None
    properties: Properties | None = None
    lifecycleFilter: Shape | None = None


class StickinessQuery(Shape):
    """Persons by how many intervals they were active: docs/queries.md#stickinessquery."""

    kind: Literal["StickinessQuery"]
    series: Series
    interval: Interval | None = None
    dateRange: DateRange | None = None
    properties: Properties | None = None
    stickinessFilter: Shape | None = None


WebFilterType = Annotated[
    str,
    AfterValidator(
        one_of(
            WEB_FILTER_TYPES,
            "invalid_filter",
            "Web analytics filters are of type {allowed}; got {value}.",
        )
    ),
    enum(WEB_FILTER_TYPES),
]
Breakdown = Annotated[
    str,
    AfterValidator(
        one_of(list(BREAKDOWNS), "invalid_breakdown", "Unknown breakdownBy {value}; use {allowed}.")
    ),
    enum(list(BREAKDOWNS)),
]


WebOperator = Annotated[
    str,
    AfterValidator(
        one_of(WEB_OPERATORS, "invalid_filter", "Unknown operator {value}; use one of {allowed}.")
    ),
    enum(WEB_OPERATORS),
]


class WebPropertyFilter(Shape):
    """A condition on each page view (`event`, `person`) or on its session (`session`: a
    column of the sessions table, such as `$entry_pathname` or `$channel_type`).
    `is_cleaned_path_exact`: the path, cleaned by the project's rules, equals the value."""

    key: str = Field(min_length=1)
    value: Any = None
    operator: WebOperator = "exact"
    type: WebFilterType = "event"


class WebQueryFields(Shape):
    dateRange: DateRange | None = None
    compareFilter: CompareFilter | None = None
    properties: list[WebPropertyFilter] | None = Field(None, description="All must hold")
    includeBots: bool | None = Field(None, description="Count bots' page views too")


class WebOverviewQuery(WebQueryFields):
    """The web analytics tiles with the previous period: docs/queries.md#weboverviewquery."""

    kind: Literal["WebOverviewQuery"]


class WebStatsTableQuery(WebQueryFields):
    """Visitors and views by one breakdown: docs/queries.md#webstatstablequery."""

    kind: Literal["WebStatsTableQuery"]
    breakdownBy: Breakdown
    includeBounceRate: bool | None = Field(None, description="Page and InitialPage only")
    doPathCleaning: bool | None = Field(None, description="Apply the project's path cleaning")
    limit: int = Field(WEB_DEFAULT_LIMIT, ge=1, le=WEB_MAX_LIMIT)


class HogQLQuery(Shape):
    """Read-only SQL over the project's tables: see docs/sql.md."""

    kind: Literal["HogQLQuery"]
    query: str = Field(description="SELECT ... FROM events ...")
