"""`GET /api/projects/{id}/sql/schema/`: the tables, columns and functions a `HogQLQuery`
can name, for the web app's SQL editor (completion) and any other client."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.api.auth import project_for
from hedgerow.api.sql_models import SqlSchema
from hedgerow.projects import ProjectCatalog
from hedgerow.query.hogql.schema import sql_schema
from hedgerow.store.events import EventStore


class SqlSchemaApi:
    def __init__(self, catalog: ProjectCatalog, events: EventStore) -> None:
        self.catalog = catalog
        self.events = events
        # The answer depends only on the time zone (it is in the DateTime types).
        self.by_timezone: dict[str, bytes] = {}

    async def schema(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        body = self.by_timezone.get(project.timezone)
        if body is None:
            found = await run_in_threadpool(sql_schema, self.events, project.id, project.timezone)
            body = orjson.dumps(SqlSchema.model_validate(found).model_dump(mode="json"))
            self.by_timezone[project.timezone] = body
        return Response(body, media_type="application/json")

    def routes(self, base: str) -> list[BaseRoute]:
        return [Route(base + "/sql/schema/", self.schema, methods=["GET"])]
