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
from hedgerow.errors import BadRequest
from hedgerow.projects import ProjectCatalog
from hedgerow.query.definitions import Definitions, definitions_json

_NAMESPACE = uuid.UUID("5b0f7c1e-2a4d-4f3e-9d51-6c3b8e0a9f27")
PROPERTY_TYPES = ("event", "person")


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _definition_id(team_id: int, kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{team_id}\0{kind}\0{name}"))


def _page(request: Request, rows: list[dict[str, Any]]) -> dict[str, Any]:
    search = request.query_params.get("search", "").lower()
    if search:
        rows = [r for r in rows if search in r["name"].lower()]
    try:
        limit = int(request.query_params.get("limit", 100))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        raise BadRequest("`limit` and `offset` must be integers.", code="invalid_query") from None
    if not 1 <= limit <= 1000 or offset < 0:
        raise BadRequest("`limit` must be 1 to 1000, `offset` 0 or more.", code="invalid_query")
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
        return _json(_page(request, rows))

    def routes(self, base: str) -> list[BaseRoute]:
        return [
            Route(base + "/event_definitions/", self.event_definitions, methods=["GET"]),
            Route(base + "/property_definitions/", self.property_definitions, methods=["GET"]),
        ]

    async def property_definitions(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        kind = request.query_params.get("type", "event")
        if kind not in PROPERTY_TYPES:
            raise BadRequest(
                f"`type` must be one of {', '.join(PROPERTY_TYPES)}.", code="invalid_query"
            )
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
        return _json(_page(request, rows))
