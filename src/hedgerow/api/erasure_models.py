"""Request and answer models of erasure: deleting persons and the jobs that do it."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from hedgerow.api.models import MAX_PROPERTY_KEY, MAX_SQLITE_INTEGER

MAX_BULK_IDS = 1000
MAX_BULK_PERSONS = 10_000


class PersonDeleteParams(BaseModel):
    delete_events: bool = Field(
        False, description="Also delete every event of the person (a background job)"
    )


class PersonPropertyFilter(BaseModel):
    """A person property filter, as the activity view sends them."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=MAX_PROPERTY_KEY)
    value: Any = None
    operator: Literal[
        "exact",
        "is_not",
        "icontains",
        "not_icontains",
        "regex",
        "not_regex",
        "is_set",
        "is_not_set",
        "gt",
        "lt",
    ] = "exact"
    type: Literal["person"] = "person"


def _valid_regexes(filters: list[PersonPropertyFilter]) -> list[PersonPropertyFilter]:
    for f in filters:
        if f.operator in ("regex", "not_regex"):
            try:
                re.compile(str(f.value))
            except re.error as exc:
                raise PydanticCustomError(
                    "invalid_filter",
                    "{key}: not a regular expression ({problem})",
                    {"key": f.key, "problem": str(exc)},
                ) from None
    return filters


class BulkDeleteBody(BaseModel):
    """Persons to erase: those every property filter matches, and/or by id or distinct id."""

    model_config = ConfigDict(extra="forbid")

    properties: Annotated[list[PersonPropertyFilter], AfterValidator(_valid_regexes)] = Field(
        default_factory=list, max_length=20
    )
    ids: list[str] = Field(default_factory=list, max_length=MAX_BULK_IDS)
    distinct_ids: list[str] = Field(default_factory=list, max_length=MAX_BULK_IDS)
    delete_events: bool = False


class ErasureJobOut(BaseModel):
    """An erasure job: `status` queued, running, done (or failed); `phase` persons, events,
    draining, finishing, done; `progress` from 0 to 1."""

    id: int = Field(ge=1, le=MAX_SQLITE_INTEGER)
    status: Literal["queued", "running", "done", "failed"]
    phase: str
    delete_events: bool
    persons: int
    distinct_ids: int
    events_deleted: int
    progress: float
    error: str | None
    created_at: str
    finished_at: str | None


class ErasureJobList(BaseModel):
    results: list[ErasureJobOut]
