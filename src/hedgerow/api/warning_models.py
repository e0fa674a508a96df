"""The shapes of `/ingestion/warnings/` and `/ingestion/warnings/summary/`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from hedgerow.api.models import PageParams


class WarningsParams(PageParams):
    type: str | None = Field(
        None, max_length=200, description="Only warnings of this type (e.g. duplicate_event)"
    )


class IngestionWarning(BaseModel):
    id: int
    type: str
    event_uuid: str | None
    details: Any
    timestamp: float = Field(description="When ingestion recorded it, in seconds since 1970")


class WarningList(BaseModel):
    results: list[IngestionWarning]


class DayCount(BaseModel):
    date: str = Field(description="A day of the project's time zone, YYYY-MM-DD")
    count: int


class WarningTypeSummary(BaseModel):
    type: str = Field(description="A discard reason or warning type (docs/discard-reasons.md)")
    discards: bool = Field(description="true: the events were not stored")
    count: int = Field(description="Warnings of this type ever recorded for the project")
    last_seen: str = Field(description="When the last one was recorded (ISO 8601, UTC)")
    days: list[DayCount] = Field(description="Per day of the last `days`, oldest first")


class WarningSummary(BaseModel):
    days: int = Field(description="How many days `days` covers, today (in `timezone`) last")
    timezone: str
    results: list[WarningTypeSummary] = Field(description="Most recently seen type first")
