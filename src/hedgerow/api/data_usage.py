"""`GET /api/projects/{id}/data_usage/`: how much a project stores (events, persons, an
estimate of the events' bytes on disk), its oldest and newest event, and its retention
period with the retention job's last run (docs/data-lifecycle.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.api.auth import project_for
from hedgerow.lifecycle.retention import RetentionRunner
from hedgerow.persons.store import PersonStore
from hedgerow.projects import ProjectCatalog
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE


class DataUsage(BaseModel):
    events: int
    persons: int
    event_bytes: int = Field(
        description="Estimate: the events table's bytes on disk times this project's share "
        "of its rows"
    )
    oldest_event: str | None = Field(description="Timestamp of the oldest stored event")
    newest_event: str | None
    retention_days: int | None
    retention_last_run_at: str | None = Field(
        description="When the retention job last deleted this project's old events"
    )
    retention_last_deleted: int | None


def _iso(text: str) -> str:
    return text.replace(" ", "T", 1) + "Z"


@dataclass
class DataUsageApi:
    catalog: ProjectCatalog
    persons: PersonStore
    events: ChdbEventStore
    retention: RetentionRunner

    def _usage(self, team_id: int) -> tuple[int, int, str | None, str | None, int]:
        own = self.events.run(
            "SELECT count(), toString(min(timestamp)), toString(max(timestamp)) "
            f"FROM {DATABASE}.events WHERE team_id = {int(team_id)}"
        ).rows[0]
        table = self.events.run(
            "SELECT sum(rows), sum(bytes_on_disk) FROM system.parts "
            f"WHERE database = '{DATABASE}' AND table = 'events' AND active"
        ).rows[0]
        count, total_rows, total_bytes = int(own[0]), int(table[0] or 0), int(table[1] or 0)
        share = round(total_bytes * count / total_rows) if total_rows else 0
        oldest, newest = (own[1], own[2]) if count else (None, None)
        return count, self.persons.count(team_id), oldest, newest, share

    async def usage(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        events, persons, oldest, newest, size = await run_in_threadpool(self._usage, project.id)
        run = self.retention.last_runs.get(project.id)
        body = DataUsage(
            events=events,
            persons=persons,
            event_bytes=size,
            oldest_event=_iso(oldest) if oldest else None,
            newest_event=_iso(newest) if newest else None,
            retention_days=project.retention_days,
            retention_last_run_at=datetime.fromtimestamp(run.ran_at, UTC)
            .isoformat()
            .replace("+00:00", "Z")
            if run
            else None,
            retention_last_deleted=run.deleted if run else None,
        )
        return Response(orjson.dumps(body.model_dump(mode="json")), media_type="application/json")

    def routes(self, base: str) -> list[BaseRoute]:
        return [Route(base + "/data_usage/", self.usage, methods=["GET"])]
