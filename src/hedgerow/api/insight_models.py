"""Request and response models of saved insights and dashboards (`insights/`, `dashboards/`).

An insight's `query` is one of the insight kinds `POST query/` runs (not EventsQuery or
ActorsQuery, which list rows rather than chart them); it is checked by the same models as
the query body, so what can be saved can be run.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from hedgerow.api.models import MAX_SQLITE_INTEGER, Paged, PageParams
from hedgerow.api.query_body import PathsQuery
from hedgerow.api.query_models import (
    FilterGroup,
    FilterItem,
    FunnelsQuery,
    HogQLQuery,
    LifecycleQuery,
    RetentionQuery,
    StickinessQuery,
    TrendsQuery,
)
from hedgerow.insights.tiles import GRID_COLUMNS

MAX_NAME = 400
MAX_DESCRIPTION = 10_000
MAX_TEXT_CARD = 4_000
MAX_SEARCH = 200
INSIGHT_KINDS = (
    "TrendsQuery",
    "FunnelsQuery",
    "RetentionQuery",
    "LifecycleQuery",
    "StickinessQuery",
    "PathsQuery",
    "HogQLQuery",
)

InsightQuery = Annotated[
    TrendsQuery
    | FunnelsQuery
    | RetentionQuery
    | LifecycleQuery
    | StickinessQuery
    | PathsQuery
    | HogQLQuery,
    Field(discriminator="kind"),
]
Id = Annotated[int, Field(ge=0, le=MAX_SQLITE_INTEGER)]


class InsightQueryBody(BaseModel):
    """The `query` of an insight on its own (its errors answer `invalid_query`)."""

    query: InsightQuery


class InsightChanges(BaseModel):
    """PATCH: the fields to change. `dashboards` is the full list of dashboards the insight
    is on: a tile is added to each new one and removed from each one left out."""

    name: str | None = Field(None, max_length=MAX_NAME)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)
    query: InsightQuery | None = None
    favorited: bool | None = None
    dashboards: list[Id] | None = Field(None, max_length=1000)


class InsightCreate(InsightChanges):
    name: str = Field(max_length=MAX_NAME)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    query: InsightQuery
    dashboards: list[Id] = Field([], max_length=1000)


class InsightsParams(PageParams):
    search: str = Field("", max_length=MAX_SEARCH, description="In name or description")
    short_id: str | None = Field(None, max_length=20, description="The insight of this short id")


class UserBasic(BaseModel):
    id: int
    email: str


class InsightOut(BaseModel):
    id: int
    short_id: str
    name: str
    description: str
    query: dict[str, Any]
    favorited: bool
    dashboards: list[int]
    created_at: str
    created_by: UserBasic | None
    last_modified_at: str
    last_modified_by: UserBasic | None


class InsightList(Paged):
    results: list[InsightOut]


# -- dashboards ---------------------------------------------------------------------------


class Layout(BaseModel):
    """A place on the grid: column `x` (0-11), row `y`, `w` columns wide, `h` rows high."""

    x: int = Field(ge=0, le=GRID_COLUMNS - 1)
    y: int = Field(ge=0, le=100_000)
    w: int = Field(ge=1, le=GRID_COLUMNS)
    h: int = Field(ge=1, le=1000)

    @model_validator(mode="after")
    def _inside(self) -> Layout:
        if self.x + self.w > GRID_COLUMNS:
            raise PydanticCustomError(
                "invalid_dashboard",
                "A tile must fit in the grid's {columns} columns: x + w is {end}.",
                {"columns": GRID_COLUMNS, "end": self.x + self.w},
            )
        return self


class Layouts(BaseModel):
    sm: Layout


class TextCard(BaseModel):
    body: str = Field(max_length=MAX_TEXT_CARD, description="Plain text")


class TileChange(BaseModel):
    """With `id`: change (or delete) that tile. Without: a new text card (`text` needed)."""

    id: Id | None = None
    layouts: Layouts | None = None
    color: str | None = Field(None, max_length=32)
    text: TextCard | None = None
    deleted: bool | None = None


class DashboardFilters(BaseModel):
    """Applied by the client to every tile: the date range replaces each query's, the
    property filters are added to each query's."""

    date_from: str | None = Field(None, max_length=64)
    date_to: str | None = Field(None, max_length=64)
    properties: list[FilterItem] = Field([], max_length=100)


class DashboardChanges(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)
    pinned: bool | None = None
    filters: DashboardFilters | None = None
    tiles: list[TileChange] | None = Field(None, max_length=500)


class DashboardCreate(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    template: Literal["product-analytics"] | None = Field(
        None, description="product-analytics: the default dashboard, with its insights"
    )


class DashboardsParams(PageParams):
    search: str = Field("", max_length=MAX_SEARCH, description="In the name")


class TileOut(BaseModel):
    id: int
    insight: InsightOut | None
    text: TextCard | None
    layouts: Layouts
    color: str | None


class DashboardSummary(BaseModel):
    id: int
    name: str
    description: str
    pinned: bool
    created_at: str
    last_modified_at: str
    tile_count: int


class DashboardOut(BaseModel):
    id: int
    name: str
    description: str
    pinned: bool
    created_at: str
    last_modified_at: str
    filters: DashboardFilters
    tiles: list[TileOut]


class DashboardList(Paged):
    results: list[DashboardSummary]


# `FilterGroup` nests itself: the unions are complete only once it is in this namespace.
for _model in (
    InsightQueryBody,
    InsightChanges,
    InsightCreate,
    DashboardFilters,
    DashboardChanges,
    DashboardOut,
):
    _model.model_rebuild(_types_namespace={"FilterGroup": FilterGroup})
