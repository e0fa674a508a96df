"""The JSON shapes capture takes and answers, for the OpenAPI document.

Capture itself decodes bodies by hand (`hedgerow.capture.decode`, `normalize`): they come
compressed, form-encoded or base64, and one bad event must not refuse the others. These
models describe what the decoded JSON looks like (docs/capture.md has the details).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class CapturedEvent(BaseModel):
    """One event. The project token is `token` (or `api_key`, or `properties.token`)."""

    model_config = ConfigDict(extra="allow")

    event: str = Field(description="The event name: $pageview, Plan purchased, ...")
    distinct_id: str | int | None = Field(
        None, description="Who did it (also read from `properties.distinct_id`)"
    )
    properties: dict[str, Any] | None = None
    timestamp: str | None = Field(None, description="ISO 8601; defaults to the capture time")
    offset: int | None = Field(None, description="Milliseconds before `sent_at`")
    uuid: str | None = None
    token: str | None = None
    api_key: str | None = None


class CaptureBatch(BaseModel):
    """Events sent together; `api_key` is the project token for all of them."""

    model_config = ConfigDict(extra="allow")

    api_key: str | None = None
    batch: list[CapturedEvent]
    sent_at: str | None = None
    historical_migration: bool | None = None


class CaptureBody(RootModel[CapturedEvent | list[CapturedEvent] | CaptureBatch]):
    """An event, an array of events, or a batch object."""


class CaptureOk(BaseModel):
    """Every event of the request is durably in the intake log."""

    status: Literal[1]
