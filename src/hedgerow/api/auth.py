"""Bearer-key authentication: every /api route needs a personal API key."""

from __future__ import annotations

from starlette.requests import Request

from hedgerow.errors import Forbidden, NotFound, Unauthorized
from hedgerow.projects import Project, ProjectCatalog


def allowed_projects(request: Request, catalog: ProjectCatalog) -> set[int]:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized(
            "This endpoint needs a personal API key: send `Authorization: Bearer <key>`.",
            code="not_authenticated",
        )
    allowed = catalog.projects_for_key(key.strip())
    if allowed is None:
        raise Unauthorized(
            "The personal API key is not valid. Use the key printed on first start or "
            "create one with `hedgerow project create`.",
            code="authentication_failed",
        )
    return allowed


def project_for(request: Request, catalog: ProjectCatalog) -> Project:
    allowed = allowed_projects(request, catalog)
    raw = request.path_params.get("project_id", "")
    try:
        project_id = int(raw)
    except (TypeError, ValueError):
        raise NotFound(f"There is no project {raw!r}.") from None
    if project_id not in allowed:
        if catalog.by_id(project_id) is None:
            raise NotFound(f"There is no project {project_id}.")
        raise Forbidden(f"This API key may not access project {project_id}.")
    project = catalog.by_id(project_id)
    if project is None:
        raise NotFound(f"There is no project {project_id}.")
    return project
