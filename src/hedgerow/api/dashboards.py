"""`/api/projects/{id}/dashboards/`: list, create (empty, or from a template), read, change
(name, filters, tiles: place, color, text, removal, new text cards) and delete dashboards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.accounts.users import UserStore
from hedgerow.api.auth import authenticate, project_for
from hedgerow.api.insight_models import (
    DashboardChanges,
    DashboardCreate,
    DashboardFilters,
    DashboardList,
    DashboardOut,
    DashboardsParams,
    DashboardSummary,
    Layouts,
    TextCard,
    TileChange,
    TileOut,
)
from hedgerow.api.saved_items import Authors, insight_out, json_response, page_links, path_id
from hedgerow.api.validation import body_of, params_of
from hedgerow.errors import BadRequest, NotFound
from hedgerow.insights.dashboards import Dashboard, DashboardStore
from hedgerow.insights.schema import iso
from hedgerow.insights.store import InsightStore
from hedgerow.insights.templates import create_product_analytics
from hedgerow.projects import ProjectCatalog

HINT = 'Send an object like {"name": ..., "description": ...}.'


def tile_changes(dashboard: Dashboard, sent: list[TileChange]) -> list[dict[str, Any]]:
    """The tile changes as the store takes them; 400 for a tile not on this dashboard, text
    for an insight's tile, or a new card without text."""
    tiles = {tile.id: tile for tile in dashboard.tiles}
    changes = []
    for index, change in enumerate(sent):
        given = change.model_fields_set
        if change.id is None:
            if change.text is None or change.deleted:
                raise BadRequest(
                    f"`tiles[{index}]` has no `id`, so it is a new text card: it needs "
                    '`"text": {"body": ...}` (and no `deleted`).',
                    code="invalid_dashboard",
                )
        elif change.id not in tiles:
            raise BadRequest(
                f"`tiles[{index}]`: there is no tile {change.id} on dashboard {dashboard.id}.",
                code="unknown_tile",
            )
        elif change.text is not None and tiles[change.id].insight_id is not None:
            raise BadRequest(
                f"`tiles[{index}]`: tile {change.id} shows an insight; only text cards have text.",
                code="invalid_dashboard",
            )
        out: dict[str, Any] = {"id": change.id} if change.id is not None else {}
        if change.layouts is not None:
            out["layouts"] = change.layouts.model_dump()
        if "color" in given:
            out["color"] = change.color
        if change.text is not None:
            out["text"] = change.text.body
        if change.deleted:
            out["deleted"] = True
        changes.append(out)
    return changes


@dataclass
class DashboardsApi:
    catalog: ProjectCatalog
    insights: InsightStore
    dashboards: DashboardStore
    users: UserStore | None = None

    def _out(self, dashboard: Dashboard) -> DashboardOut:
        authors = Authors(self.users)
        wanted = [t.insight_id for t in dashboard.tiles if t.insight_id is not None]
        found = self.insights.many(dashboard.team_id, wanted)
        tiles = []
        for tile in dashboard.tiles:
            insight = found.get(tile.insight_id) if tile.insight_id is not None else None
            if tile.insight_id is not None and insight is None:
                continue  # deleted between the two reads
            tiles.append(
                TileOut(
                    id=tile.id,
                    insight=insight_out(insight, authors) if insight else None,
                    text=TextCard(body=tile.text) if tile.text is not None else None,
                    layouts=Layouts.model_validate(tile.layouts),
                    color=tile.color,
                )
            )
        return DashboardOut(
            id=dashboard.id,
            name=dashboard.name,
            description=dashboard.description,
            pinned=dashboard.pinned,
            created_at=iso(dashboard.created_at),
            last_modified_at=iso(dashboard.last_modified_at),
            filters=DashboardFilters.model_validate(dashboard.filters),
            tiles=tiles,
        )

    def _get(self, team_id: int, dashboard_id: int) -> Dashboard:
        found = self.dashboards.get(team_id, dashboard_id)
        if found is None:
            raise NotFound(f"There is no dashboard {dashboard_id} in project {team_id}.")
        return found

    async def collection(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        if request.method == "POST":
            user = authenticate(request, self.catalog).user
            body = await body_of(request, DashboardCreate, code="invalid_dashboard", hint=HINT)
            user_id = user.id if user else None
            if body.template == "product-analytics":
                created = create_product_analytics(
                    self.insights, self.dashboards, project.id, user_id, body.name
                )
            else:
                created = self.dashboards.create(project.id, body.name, body.description, user_id)
            if body.description and body.template:
                self.dashboards.update(project.id, created.id, {"description": body.description})
            return json_response(self._out(self._get(project.id, created.id)), status=201)
        params = params_of(request, DashboardsParams)
        count, found = self.dashboards.search(
            project.id, params.search.strip(), params.limit, params.offset
        )
        results = [
            DashboardSummary(
                id=d.id,
                name=d.name,
                description=d.description,
                pinned=d.pinned,
                created_at=iso(d.created_at),
                last_modified_at=iso(d.last_modified_at),
                tile_count=tile_count,
            )
            for d, tile_count in found
        ]
        page = page_links(request, count, params.limit, params.offset)
        return json_response(DashboardList(**page, results=results))

    async def item(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        dashboard = self._get(project.id, path_id(request, "dashboard_id", "dashboard"))
        if request.method == "DELETE":
            self.dashboards.delete(project.id, dashboard.id)
            return Response(status_code=204)
        if request.method == "PATCH":
            body = await body_of(request, DashboardChanges, code="invalid_dashboard", hint=HINT)
            tiles = tile_changes(dashboard, body.tiles or [])
            changes: dict[str, Any] = {}
            for name in ("name", "pinned"):
                if getattr(body, name) is not None:
                    changes[name] = getattr(body, name)
            if "description" in body.model_fields_set:
                changes["description"] = body.description or ""
            if body.filters is not None:
                changes["filters"] = body.filters.model_dump(mode="json", exclude_none=False)
            if changes:
                self.dashboards.update(project.id, dashboard.id, changes)
            if tiles:
                self.dashboards.change_tiles(project.id, dashboard.id, tiles)
            dashboard = self._get(project.id, dashboard.id)
        return json_response(self._out(dashboard))

    def routes(self) -> list[BaseRoute]:
        base = "/api/projects/{project_id}/dashboards/"
        return [
            Route(base, self.collection, methods=["GET", "POST"]),
            Route(base + "{dashboard_id}/", self.item, methods=["GET", "PATCH", "DELETE"]),
        ]
