"""`PathsQuery` and `ActorsQuery` (with their sources), and the union of every query kind:
the body of `POST /api/projects/{id}/query/` is `{"query": {...}}`, one model per `kind`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from hedgerow.api.query_models import (
    DateRange,
    EventsQuery,
    FilterGroup,
    FunnelsQuery,
    HogQLQuery,
    LifecycleQuery,
    Properties,
    RetentionQuery,
    Shape,
    StickinessQuery,
    TrendsQuery,
    WebOverviewQuery,
    WebStatsTableQuery,
)
from hedgerow.persons.search import MAX_SEARCH
from hedgerow.query.events_query import MAX_LIMIT
from hedgerow.query.paths import MAX_STEPS as MAX_PATH_STEPS

PathEventType = Literal["$pageview", "$screen", "custom_event"]
LifecycleStatus = Literal["new", "returning", "resurrecting", "dormant"]


class PathCleaningFilter(Shape):
    regex: str = Field(description="An RE2 regex; each match is replaced by `alias`")
    alias: str | None = None


class PathsFilter(Shape):
    includeEventTypes: list[PathEventType] | None = None
    startPoint: str | None = None
    endPoint: str | None = None
    stepLimit: int | None = Field(None, ge=2, le=MAX_PATH_STEPS)
    edgeLimit: int | None = Field(None, ge=1, le=10_000)
    minEdgeWeight: int | None = Field(None, ge=1)
    maxEdgeWeight: int | None = Field(None, ge=1)
    excludeEvents: list[str] | None = None
    localPathCleaningFilters: list[PathCleaningFilter] | None = None


class PathsQuery(Shape):
    """The most common paths between pages, screens or events: docs/queries.md#pathsquery."""

    kind: Literal["PathsQuery"]
    pathsFilter: PathsFilter | None = None
    dateRange: DateRange | None = None
    properties: Properties | None = None


InsightSource = Annotated[
    TrendsQuery | LifecycleQuery | StickinessQuery | RetentionQuery,
    Field(discriminator="kind"),
]


class InsightActorsQuery(Shape):
    """A point of a trends, lifecycle, stickiness or retention insight."""

    kind: Literal["InsightActorsQuery"]
    source: InsightSource
    day: str | int | None = Field(
        None,
        description="The point's entry of `days` (stickiness: the number of intervals); "
        "none for a trends display of one value per series: the whole range",
    )
    series: int | None = Field(None, ge=0)
    breakdown: str | int | None = None
    compare: Literal["current", "previous"] | None = None
    status: LifecycleStatus | None = None
    interval: int | None = Field(None, ge=0, description="Retention: the cohort row")
    period: int | None = Field(None, ge=0, description="Retention: the period (default 0)")
    includeRecordings: bool | None = None


class FunnelsActorsQuery(Shape):
    """A funnel step: `funnelStep` k reached step k, -k dropped off before step k."""

    kind: Literal["FunnelsActorsQuery"]
    source: FunnelsQuery
    funnelStep: int
    funnelStepBreakdown: str | int | list[str | int] | None = None


class ActorsQuery(Shape):
    """The persons behind a point of an insight: docs/queries.md#actorsquery."""

    kind: Literal["ActorsQuery"]
    source: Annotated[InsightActorsQuery | FunnelsActorsQuery, Field(discriminator="kind")]
    select: list[str] | None = None
    search: str | None = Field(None, max_length=MAX_SEARCH)
    orderBy: list[str] | None = None
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


AnyQuery = Annotated[
    EventsQuery
    | TrendsQuery
    | FunnelsQuery
    | RetentionQuery
    | LifecycleQuery
    | StickinessQuery
    | PathsQuery
    | ActorsQuery
    | WebOverviewQuery
    | WebStatsTableQuery
    | HogQLQuery,
    Field(discriminator="kind"),
]


class QueryRequest(BaseModel):
    query: AnyQuery
    refresh: Literal["blocking", "force_blocking", "force_cache"] = Field(
        "blocking",
        description="Insight kinds: blocking (a cached result young enough, else compute), "
        "force_blocking (compute), force_cache (the cached result or cache_missing)",
    )


# `FilterGroup` nests itself: the union is complete only once it is in this namespace.
QueryRequest.model_rebuild(_types_namespace={"FilterGroup": FilterGroup})
