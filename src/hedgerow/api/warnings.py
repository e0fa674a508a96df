"""`/ingestion/warnings/` (each warning, newest first) and `/ingestion/warnings/summary/`
(per type: how many, the last one, and a count per day of the project's last 30 days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.api.auth import project_for
from hedgerow.api.validation import params_of
from hedgerow.api.warning_models import (
    DayCount,
    IngestionWarning,
    WarningList,
    WarningsParams,
    WarningSummary,
    WarningTypeSummary,
)
from hedgerow.ingestion.warning_summary import BUCKET_SECONDS, DAYS, summarize, window_start
from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.projects import ProjectCatalog


def _json(body: BaseModel) -> Response:
    return Response(orjson.dumps(body.model_dump(mode="json")), media_type="application/json")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class WarningsApi:
    catalog: ProjectCatalog
    worker: IngestionWorker  # its `bookkeeping` holds the warnings (of every worker)

    async def warnings(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        params = params_of(request, WarningsParams)
        bookkeeping = self.worker.bookkeeping
        found = bookkeeping.warnings(project.id, params.limit, params.offset, params.type)
        return _json(WarningList(results=[IngestionWarning(**w) for w in found]))

    async def summary(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        now = datetime.now(UTC)
        since = window_start(now, project.timezone).timestamp()

        def read() -> WarningSummary:
            totals = self.worker.bookkeeping.warning_totals(project.id)
            buckets = self.worker.bookkeeping.warning_buckets(project.id, since, BUCKET_SECONDS)
            return WarningSummary(
                days=DAYS,
                timezone=project.timezone,
                results=[
                    WarningTypeSummary(
                        type=s.type,
                        discards=s.discards,
                        count=s.count,
                        last_seen=_iso(s.last_seen),
                        days=[DayCount(date=d.isoformat(), count=n) for d, n in s.daily],
                    )
                    for s in summarize(totals, buckets, project.timezone, now)
                ],
            )

        return _json(await run_in_threadpool(read))

    def routes(self, base: str) -> list[BaseRoute]:
        return [
            Route(base + "/ingestion/warnings/", self.warnings, methods=["GET"]),
            Route(base + "/ingestion/warnings/summary/", self.summary, methods=["GET"]),
        ]
