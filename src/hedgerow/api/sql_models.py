"""The answer of `GET /api/projects/{id}/sql/schema/` (see hedgerow.query.hogql.schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SqlColumn(BaseModel):
    name: str = Field(description="As a query names it: `event`, `person.properties`")
    type: str = Field(description="ClickHouse's type of the column, e.g. `DateTime64(6, 'UTC')`")
    properties: Literal["event", "person"] | None = Field(
        description="Whose property keys `<column>.<key>` reads (see /property_definitions/)"
    )


class SqlTable(BaseModel):
    name: str
    columns: list[SqlColumn]


class SqlSchema(BaseModel):
    tables: list[SqlTable]
    functions: list[str] = Field(description="Every function a query may call")
