"""What a user manages in their organization: personal API keys and new projects.

Keys are managed from a signed-in session only (a leaked key cannot mint more keys); a key
made here sees every project of the organization. A project can be created by a session or
by a key: it joins the caller's organization, and a key that lists its projects gets it added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.accounts.keys import PersonalKey, PersonalKeys
from hedgerow.api.accounts import json_answer, project_out, session_required
from hedgerow.api.auth import audit, authenticate
from hedgerow.api.models import (
    MAX_SQLITE_INTEGER,
    PersonalKeyCreate,
    PersonalKeyCreated,
    PersonalKeyList,
    PersonalKeyOut,
    ProjectCreate,
)
from hedgerow.api.validation import body_of
from hedgerow.errors import NotFound
from hedgerow.insights.schema import SavedDb
from hedgerow.insights.templates import start_project
from hedgerow.projects import ProjectCatalog


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _key_out(key: PersonalKey) -> PersonalKeyOut:
    return PersonalKeyOut(
        id=key.id, label=key.label, mask=key.mask, created_at=_iso(key.created_at)
    )


@dataclass
class OrganizationApi:
    catalog: ProjectCatalog
    keys: PersonalKeys
    saved: SavedDb | None = None  # where a new project's "Product analytics" dashboard goes

    async def personal_keys(self, request: Request) -> Response:
        """GET: the caller's keys (never their values). POST {"label"}: a new key, shown once."""
        caller = authenticate(request, self.catalog)
        if caller.user is None:
            raise session_required()
        if request.method == "POST":
            label = (
                await body_of(
                    request, PersonalKeyCreate, code="invalid_key", hint='Send {"label": ...}.'
                )
            ).label
            key, value = self.keys.create(caller.user.id, caller.organization_id, label)
            audit(request, caller, "personal_key_created", "PersonalAPIKey", key.id, label=label)
            created = PersonalKeyCreated(**_key_out(key).model_dump(), value=value)
            return json_answer(created, status=201)
        found = self.keys.of_user(caller.user.id)
        return json_answer(PersonalKeyList(results=[_key_out(k) for k in found]))

    async def revoke_key(self, request: Request) -> Response:
        caller = authenticate(request, self.catalog)
        if caller.user is None:
            raise session_required()
        raw = request.path_params["key_id"]
        key_id = int(raw) if raw.isdigit() and len(raw) < 20 else 0
        if not 0 < key_id <= MAX_SQLITE_INTEGER or not self.keys.revoke(caller.user.id, key_id):
            raise NotFound(f"You have no personal API key {raw!r}.")
        audit(request, caller, "personal_key_revoked", "PersonalAPIKey", key_id)
        return Response(status_code=204)

    async def create_project(self, request: Request) -> Response:
        """POST {"name", "timezone"?}: a new project (with a new token) in the caller's
        organization, with its "Product analytics" dashboard."""
        caller = authenticate(request, self.catalog)
        body = await body_of(
            request,
            ProjectCreate,
            code="invalid_project",
            hint='Send {"name": ..., "timezone": ...} (timezone optional, default UTC).',
        )
        project = self.catalog.create_project(
            body.name.strip(), timezone=body.timezone, organization_id=caller.organization_id
        )
        if caller.key_hash is not None:
            self.catalog.add_project_to_key(caller.key_hash, project.id)
        if self.saved is not None:
            start_project(self.saved, project.id, caller.user.id if caller.user else None)
        made = {"name": project.name, "timezone": project.timezone}
        audit(
            request, caller, "project_created", "Project", project.id, project_id=project.id, **made
        )
        return json_answer(project_out(project), status=201)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/personal_api_keys/", self.personal_keys, methods=["GET", "POST"]),
            Route("/api/personal_api_keys/{key_id}/", self.revoke_key, methods=["DELETE"]),
            # GET /api/projects/ (the list) is answered by `Api`; a path matched by method.
            Route("/api/projects/", self.create_project, methods=["POST"]),
        ]
