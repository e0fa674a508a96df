"""`/api/projects/{id}/insights/`: list (search, short id), save, read, change and delete
saved insights, and put them on the project's dashboards (`dashboards`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.accounts.users import UserStore
from hedgerow.api.auth import authenticate, project_for
from hedgerow.api.insight_models import (
    InsightChanges,
    InsightCreate,
    InsightList,
    InsightQueryBody,
    InsightsParams,
)
from hedgerow.api.saved_items import Authors, insight_out, json_response, page_links, path_id
from hedgerow.api.validation import params_of, read_json, validate
from hedgerow.errors import BadRequest, NotFound
from hedgerow.insights.dashboards import DashboardStore
from hedgerow.insights.store import InsightStore
from hedgerow.projects import ProjectCatalog

HINT = 'Send an object like {"name": ..., "query": {"kind": "TrendsQuery", ...}}.'


def read_insight(raw: Any, model: type[InsightChanges]) -> InsightChanges:
    """The body through `model`; a wrong `query` answers `invalid_query` (or
    `invalid_filter`), anything else `invalid_insight`."""
    if isinstance(raw, dict) and raw.get("query") is not None:
        validate(InsightQueryBody, {"query": raw["query"]}, code="invalid_query")
    return validate(model, raw, code="invalid_insight", hint=HINT)


@dataclass
class InsightsApi:
    catalog: ProjectCatalog
    insights: InsightStore
    dashboards: DashboardStore
    users: UserStore | None = None

    def _check_dashboards(self, team_id: int, wanted: list[int]) -> None:
        missing = sorted(set(wanted) - self.dashboards.existing(team_id, wanted))
        if missing:
            raise BadRequest(
                f"There is no dashboard {missing[0]} in project {team_id}; `dashboards` lists "
                "ids of this project's dashboards.",
                code="unknown_dashboard",
            )

    async def collection(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        if request.method == "POST":
            user = authenticate(request, self.catalog).user
            raw = await read_json(request)
            body = read_insight(raw, InsightCreate)
            assert isinstance(body, InsightCreate)
            self._check_dashboards(project.id, body.dashboards)
            created = self.insights.create(  # the query as sent, as `POST query/` runs it
                project.id, body.name, body.description, raw["query"], user.id if user else None
            )
            if body.dashboards:
                self.dashboards.set_insight_dashboards(project.id, created.id, body.dashboards)
                created = self.insights.get(project.id, created.id) or created
            return json_response(insight_out(created, Authors(self.users)), status=201)
        params = params_of(request, InsightsParams)
        count, found = self.insights.search(
            project.id,
            search=params.search.strip(),
            short_id=params.short_id,
            limit=params.limit,
            offset=params.offset,
        )
        authors = Authors(self.users)
        page = page_links(request, count, params.limit, params.offset)
        return json_response(InsightList(**page, results=[insight_out(i, authors) for i in found]))

    async def item(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        insight_id = path_id(request, "insight_id", "insight")
        found = self.insights.get(project.id, insight_id)
        if found is None:
            raise NotFound(f"There is no insight {insight_id} in project {project.id}.")
        if request.method == "DELETE":
            self.insights.delete(project.id, insight_id)
            return Response(status_code=204)
        if request.method == "PATCH":
            user = authenticate(request, self.catalog).user
            raw = await read_json(request)
            body = read_insight(raw, InsightChanges)
            changes: dict[str, Any] = {}
            for name in ("name", "favorited"):
                if getattr(body, name) is not None:
                    changes[name] = getattr(body, name)
            if "description" in body.model_fields_set:
                changes["description"] = body.description or ""
            if body.query is not None:
                changes["query"] = raw["query"]
            if body.dashboards is not None:
                self._check_dashboards(project.id, body.dashboards)
                self.dashboards.set_insight_dashboards(project.id, insight_id, body.dashboards)
            found = self.insights.update(project.id, insight_id, user.id if user else None, changes)
            assert found is not None
        return json_response(insight_out(found, Authors(self.users)))

    def routes(self) -> list[BaseRoute]:
        base = "/api/projects/{project_id}/insights/"
        return [
            Route(base, self.collection, methods=["GET", "POST"]),
            Route(base + "{insight_id}/", self.item, methods=["GET", "PATCH", "DELETE"]),
        ]
