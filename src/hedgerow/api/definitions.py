"""`/event_definitions/` and `/property_definitions/`: what a project has sent, in PostHog's
list shape (`count`, `next`, `previous`, `results`), with `search`, `limit` and `offset`."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.api.auth import project_for
from hedgerow.api.models import DefinitionsParams, PropertyDefinitionsParams
from hedgerow.api.validation import params_of
from hedgerow.projects import ProjectCatalog
from hedgerow.query.definitions import Definitions, definitions_json

_NAMESPACE = uuid.UUID("5b0f7c1e-2a4d-4f3e-9d51-6c3b8e0a9f27")


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _definition_id(team_id: int, kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{team_id}\0{kind}\0{name}"))


def _page(
    request: Request, params: DefinitionsParams, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    search = params.search.lower()
    if search:
        rows = [r for r in rows if search in r["name"].lower()]
    limit, offset = params.limit, params.offset
    base = str(request.url.remove_query_params(["limit", "offset"]))
    joiner = "&" if "?" in base else "?"
    following = offset + limit
    return {
        "count": len(rows),
        "next": f"{base}{joiner}limit={limit}&offset={following}"
        if following < len(rows)
        else None,
        "previous": f"{base}{joiner}limit={limit}&offset={max(0, offset - limit)}"
        if offset > 0
        else None,
        "results": rows[offset:following],
    }


class DefinitionsApi:
    def __init__(self, catalog: ProjectCatalog, definitions: Definitions) -> None:
        self.catalog = catalog
        self.definitions = definitions

    async def event_definitions(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        params = params_of(request, DefinitionsParams)
        stats = await run_in_threadpool(self.definitions.event_stats, project.id)
        rows = []
        for item in definitions_json(stats, ""):
            item.pop("property_type")
            rows.append(
                {
                    "id": _definition_id(project.id, "event", item["name"]),
                    **item,
                    "created_at": item["first_seen_at"],
                }
            )
        return _json(_page(request, params, rows))

    def routes(self, base: str) -> list[BaseRoute]:
        return [
            Route(base + "/event_definitions/", self.event_definitions, methods=["GET"]),
            Route(base + "/property_definitions/", self.property_definitions, methods=["GET"]),
        ]

    async def property_definitions(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        params = params_of(request, PropertyDefinitionsParams)
        kind = params.type
        if kind == "event":
            stats = await run_in_threadpool(self.definitions.event_stats, project.id)
        else:
            stats = await run_in_threadpool(self.definitions.person_stats, project.id)
        rows = [
            {
                "id": _definition_id(project.id, kind, item["name"]),
                **item,
                "type": kind,
                "is_numerical": item["property_type"] == "Numeric",
                "group_type_index": None,
            }
            for item in definitions_json(stats, kind)
        ]
        return _json(_page(request, params, rows))
