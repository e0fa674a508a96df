"""The audit log over HTTP: `GET /api/projects/{id}/activity_log/` (one project's entries)
and `GET /api/organizations/@current/activity_log/` (every entry of the caller's
organization: sign-ins, users, keys, and its projects' entries), newest first, paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.api.accounts import json_answer
from hedgerow.api.activity_log_models import (
    ActivityActor,
    ActivityLogEntry,
    ActivityLogList,
    ActivityLogParams,
    ActivityUser,
)
from hedgerow.api.auth import authenticate, project_for
from hedgerow.api.validation import params_of
from hedgerow.audit import AuditEntry, AuditLog
from hedgerow.errors import Forbidden
from hedgerow.projects import ProjectCatalog


def entry_json(entry: AuditEntry) -> ActivityLogEntry:
    actor = entry.actor
    moment = datetime.fromtimestamp(entry.created_at, UTC).isoformat(timespec="milliseconds")
    return ActivityLogEntry(
        id=entry.id,
        created_at=moment.replace("+00:00", "Z"),
        activity=entry.activity,
        scope=entry.scope,
        item_id=entry.item_id,
        detail=entry.detail,
        user=ActivityUser(id=actor.id, email=actor.name)
        if actor.kind == "user" and actor.id is not None
        else None,
        actor=ActivityActor(kind=actor.kind, id=actor.id, name=actor.name),
        is_system=actor.kind in ("cli", "system"),
        organization_id=entry.organization_id,
        project_id=entry.project_id,
    )


@dataclass
class ActivityLogApi:
    catalog: ProjectCatalog
    audit_log: AuditLog

    async def of_project(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        params = params_of(request, ActivityLogParams)
        found = await run_in_threadpool(
            self.audit_log.of_project, project.id, params.limit + 1, params.offset
        )
        return self._page(request, params, found)

    async def of_organization(self, request: Request) -> Response:
        caller = authenticate(request, self.catalog)
        if not caller.whole_organization:
            raise Forbidden(
                "The organization's activity log needs a signed-in session or a personal API "
                "key made in Settings (one that sees the whole organization); this key sees "
                "only some projects: read /api/projects/:id/activity_log/ instead.",
                code="organization_access_required",
            )
        params = params_of(request, ActivityLogParams)
        found = await run_in_threadpool(
            self.audit_log.of_organization, caller.organization_id, params.limit + 1, params.offset
        )
        return self._page(request, params, found)

    def _page(
        self, request: Request, params: ActivityLogParams, found: list[AuditEntry]
    ) -> Response:
        following = None
        if len(found) > params.limit:
            following = str(request.url.include_query_params(offset=params.offset + params.limit))
        results = [entry_json(e) for e in found[: params.limit]]
        return json_answer(ActivityLogList(results=results, next=following))

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/projects/{project_id}/activity_log/", self.of_project, methods=["GET"]),
            Route(
                "/api/organizations/@current/activity_log/",
                self.of_organization,
                methods=["GET"],
            ),
        ]
