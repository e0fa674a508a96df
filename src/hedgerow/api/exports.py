"""`POST /api/projects/{id}/exports/`: an events query (`EventsQuery` filters or a
`HogQLQuery`) as a downloaded file, streamed as the event store reads it.

The rows are counted first: the answer's `X-Hedgerow-Row-Count` header gives the total (for a
download with progress), and a query past `export_max_rows` is refused before any byte is
sent. An error while streaming can no longer change the status: the body then ends early
(short of a complete file: a CSV or JSON lines file short of the counted rows, a Parquet file
without its footer)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from hedgerow.api.auth import audit, authenticate, project_for
from hedgerow.api.query_models import EventsQuery, HogQLQuery
from hedgerow.api.validation import read_json, validate
from hedgerow.export.files import export_filename
from hedgerow.export.formats import MEDIA_TYPES, export_bytes
from hedgerow.export.source import ExportSource, counted_source
from hedgerow.projects import ProjectCatalog
from hedgerow.query.core import ActionLookup, QueryEnv
from hedgerow.query.errors import sql_refusal
from hedgerow.store.events import EventStore, QueryFailed

ROW_COUNT_HEADER = "X-Hedgerow-Row-Count"


class ExportBody(BaseModel):
    format: Literal["csv", "jsonl", "parquet"]
    query: Annotated[EventsQuery | HogQLQuery, Field(discriminator="kind")]


class ExportsApi:
    def __init__(
        self,
        catalog: ProjectCatalog,
        events: EventStore,
        max_rows: int,
        actions: ActionLookup | None = None,
    ) -> None:
        self.catalog = catalog
        self.events = events
        self.max_rows = max_rows
        self.actions = actions  # for an EventsQuery's `actionId`

    async def export(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        body = await read_json(request)
        checked = validate(
            ExportBody,
            body,
            code="invalid_export",
            hint='Send {"format": "csv"|"jsonl"|"parquet", "query": {"kind": "EventsQuery", '
            '...} or {"kind": "HogQLQuery", "query": "SELECT ..."}}.',
        )
        env = QueryEnv(self.events, project.id, project.timezone, self.actions)
        source, rows = await run_in_threadpool(self._counted, env, body["query"])
        caller = authenticate(request, self.catalog)
        audit(
            request,
            caller,
            "export_run",
            "Export",
            None,
            project_id=project.id,
            format=checked.format,
            query_kind=checked.query.kind,
            rows=rows,
        )
        chunks = export_bytes(self.events, source, checked.format)
        filename = export_filename(project.id, checked.format)
        headers = {
            "Content-Disposition": f'attachment; filename="{filename}"',
            ROW_COUNT_HEADER: str(rows),
            "Access-Control-Expose-Headers": f"Content-Disposition, {ROW_COUNT_HEADER}",
        }
        return StreamingResponse(chunks, media_type=MEDIA_TYPES[checked.format], headers=headers)

    def _counted(self, env: QueryEnv, query: dict[str, Any]) -> tuple[ExportSource, int]:
        try:
            return counted_source(env, query, self.max_rows)
        except QueryFailed as exc:
            raise sql_refusal(exc) from None

    def routes(self, base: str) -> list[BaseRoute]:
        return [Route(base + "/exports/", self.export, methods=["POST"])]
