"""Erasing persons: `DELETE /persons/{id}/?delete_events=`, `POST /persons/bulk_delete/`,
and the jobs that do it, `GET /erasures/` and `/erasures/{id}/` (docs/data-lifecycle.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.api.auth import audit, authenticate, project_for
from hedgerow.api.erasure_models import (
    MAX_BULK_PERSONS,
    BulkDeleteBody,
    ErasureJobList,
    ErasureJobOut,
    PersonDeleteParams,
)
from hedgerow.api.validation import body_of, params_of
from hedgerow.errors import BadRequest, NotFound
from hedgerow.lifecycle.jobs import ErasureJob
from hedgerow.lifecycle.runner import ErasureRunner
from hedgerow.lifecycle.selection import select_persons
from hedgerow.persons.store import PersonStore
from hedgerow.projects import ProjectCatalog


def _json(body: BaseModel, status: int = 200) -> Response:
    return Response(
        orjson.dumps(body.model_dump(mode="json")), status, media_type="application/json"
    )


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def job_json(job: ErasureJob) -> ErasureJobOut:
    return ErasureJobOut(
        id=job.id,
        status=job.status,  # type: ignore[arg-type]
        phase=job.phase,
        delete_events=job.delete_events,
        persons=job.persons,
        distinct_ids=job.distinct_ids,
        events_deleted=job.events_deleted,
        progress=round(job.progress, 3),
        error=job.error,
        created_at=_iso(job.created_at) or "",
        finished_at=_iso(job.finished_at),
    )


@dataclass
class ErasureApi:
    catalog: ProjectCatalog
    persons: PersonStore
    runner: ErasureRunner

    async def delete_person(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        params = params_of(request, PersonDeleteParams, code="invalid_delete")
        person_id = request.path_params["person_id"]
        found = await run_in_threadpool(self.persons.get, project.id, person_id)
        if found is None:
            raise NotFound(f"There is no person {person_id!r} in this project.")
        job = self.runner.submit(project.id, [person_id], delete_events=params.delete_events)
        self._audit(request, project.id, person_id, job)
        return _json(job_json(job), 202)

    async def bulk_delete(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        body = await body_of(
            request,
            BulkDeleteBody,
            code="invalid_bulk_delete",
            hint='Send {"properties": [person filters], "ids": [...], "distinct_ids": [...], '
            '"delete_events": true|false}.',
        )
        if not (body.properties or body.ids or body.distinct_ids):
            raise BadRequest(
                "Say which persons to delete: `properties` (person filters), `ids` or "
                "`distinct_ids`. An empty selection would mean every person.",
                code="empty_selection",
            )

        def select() -> list[str]:
            chosen: dict[str, None] = {}
            for person_id in body.ids:
                if self.persons.get(project.id, person_id) is not None:
                    chosen[person_id] = None
            for did in body.distinct_ids:
                found = self.persons.get_by_distinct_id(project.id, did)
                if found is not None:
                    chosen[found.id] = None
            if body.properties:
                filters = [f.model_dump() for f in body.properties]
                for person_id in select_persons(
                    self.persons, project.id, filters, MAX_BULK_PERSONS
                ):
                    chosen[person_id] = None
            return list(chosen)

        chosen = await run_in_threadpool(select)
        if len(chosen) > MAX_BULK_PERSONS:
            raise BadRequest(
                f"The selection holds more than {MAX_BULK_PERSONS:,} persons; narrow the "
                "filters and delete them in several requests.",
                code="too_many_persons",
            )
        job = self.runner.submit(project.id, chosen, delete_events=body.delete_events)
        self._audit(request, project.id, None, job)
        return _json(job_json(job), 202)

    def _audit(
        self, request: Request, project_id: int, person_id: str | None, job: ErasureJob
    ) -> None:
        """`person_erased`: the person's id (None for a bulk delete), how many, the job, and
        whether events go; never the person's properties or distinct ids (they may be emails)."""
        caller = authenticate(request, self.catalog)
        audit(
            request,
            caller,
            "person_erased",
            "Person",
            person_id,
            project_id=project_id,
            job_id=job.id,
            delete_events=job.delete_events,
            persons=job.persons,
        )

    async def jobs(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        found = self.runner.jobs.recent(project.id)
        return _json(ErasureJobList(results=[job_json(j) for j in found]))

    async def job(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        raw = request.path_params["job_id"]
        valid = raw.isdigit() and len(raw) < 19
        job = self.runner.jobs.get(project.id, int(raw)) if valid else None
        if job is None:
            raise NotFound(f"There is no erasure job {raw!r} in this project.")
        return _json(job_json(job))

    def routes(self, base: str) -> list[BaseRoute]:
        return [
            Route(base + "/persons/bulk_delete/", self.bulk_delete, methods=["POST"]),
            Route(base + "/persons/{person_id}/", self.delete_person, methods=["DELETE"]),
            Route(base + "/erasures/", self.jobs, methods=["GET"]),
            Route(base + "/erasures/{job_id}/", self.job, methods=["GET"]),
        ]
