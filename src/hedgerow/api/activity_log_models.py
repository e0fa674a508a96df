"""The shapes of the audit log's answers (`hedgerow.api.activity_log`), after PostHog's
activity log: `activity`, `scope`, `item_id`, `detail`, `user`, `is_system`, `created_at`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from hedgerow.api.models import PageParams


class ActivityLogParams(PageParams):
    """`limit` (default 100) entries from `offset`, newest first."""


class ActivityUser(BaseModel):
    id: int
    email: str


class ActivityActor(BaseModel):
    kind: Literal["user", "key", "cli", "system", "anonymous"] = Field(
        description="user: a signed-in user; key: a personal API key; cli: a `hedgerow` "
        "command on the server's machine; system: the server itself; anonymous: a failed "
        "sign-in (its name is the email tried)"
    )
    id: int | None = Field(None, description="The user's or the key's id")
    name: str = Field("", description="The user's email or the key's label, at that moment")


class ActivityLogEntry(BaseModel):
    id: int
    created_at: str = Field(description="When, in UTC (ISO 8601)")
    activity: str = Field(description="What happened, e.g. `project_updated`, `signed_in`")
    scope: str = Field(description="The kind of thing it happened to: Project, Action, User…")
    item_id: str | None = Field(None, description="That thing's id, when there is one")
    detail: dict[str, Any] = Field(
        description="The rest: `changes` ([{field, before, after}]) for an update, the job "
        "of an erasure, the format and rows of an export… never a secret"
    )
    user: ActivityUser | None = Field(None, description="The user who did it, if a user did")
    actor: ActivityActor
    is_system: bool = Field(description="Done by the server or a command, not through the API")
    organization_id: int
    project_id: int | None


class ActivityLogList(BaseModel):
    results: list[ActivityLogEntry]
    next: str | None = Field(None, description="The address of the next page, null on the last one")
