"""The /api routes, in PostHog's shapes."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.actions import ActionStore
from hedgerow.api.auth import allowed_projects, project_for
from hedgerow.api.definitions import DefinitionsApi
from hedgerow.api.limits import QueryGate
from hedgerow.errors import BadRequest, NotFound
from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.persons.store import Person, PersonStore
from hedgerow.projects import Project, ProjectCatalog, valid_timezone
from hedgerow.query.core import QueryEnv, QueryRunner
from hedgerow.query.definitions import Definitions
from hedgerow.query.events_query import events_query_runner, run_events_query
from hedgerow.query.funnels import run_funnels_query
from hedgerow.query.hogql import run_hogql_query
from hedgerow.query.trends import run_trends_query
from hedgerow.store.events import EventStore

# The query kinds `POST /api/projects/{id}/query/` answers, by `kind`.
QUERY_RUNNERS: dict[str, QueryRunner] = {
    "EventsQuery": events_query_runner,
    "TrendsQuery": run_trends_query,
    "FunnelsQuery": run_funnels_query,
}


def json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "api_token": project.token,
        "timezone": project.timezone,
    }


def _person_json(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "uuid": person.id,
        "distinct_ids": person.distinct_ids,
        "properties": person.properties,
        "is_identified": person.is_identified,
        "created_at": person.created_at.replace(" ", "T", 1) + "Z",
    }


def _page(request: Request, default: int = 100, most: int = 1000) -> tuple[int, int]:
    try:
        limit = int(request.query_params.get("limit", default))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        raise BadRequest("`limit` and `offset` must be integers.", code="invalid_query") from None
    if not 1 <= limit <= most or offset < 0:
        raise BadRequest(f"`limit` must be 1 to {most}, `offset` 0 or more.", code="invalid_query")
    return limit, offset


@dataclass
class Api:
    catalog: ProjectCatalog
    persons: PersonStore
    events: EventStore
    worker: IngestionWorker
    actions: ActionStore | None = None
    query_gate: QueryGate = field(default_factory=QueryGate)
    definitions: Definitions = field(init=False)
    runners: dict[str, QueryRunner] = field(init=False)

    def __post_init__(self) -> None:
        self.definitions = Definitions(self.events)
        self.runners = {**QUERY_RUNNERS, "HogQLQuery": self._hogql}

    async def projects(self, request: Request) -> Response:
        allowed = allowed_projects(request, self.catalog)
        projects = [p for p in self.catalog.all() if p.id in allowed]
        return json({"count": len(projects), "results": [_project_json(p) for p in projects]})

    async def project(self, request: Request) -> Response:
        """GET one project; PATCH `{"name"?, "timezone"?}` changes it (an IANA zone name
        such as 'Europe/Paris': trends count days on that clock)."""
        project = project_for(request, self.catalog)
        if request.method == "PATCH":
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                body = None
            if not isinstance(body, dict) or not set(body) <= {"name", "timezone"}:
                raise BadRequest(
                    'Send {"name": ..., "timezone": ...} (either or both).', code="invalid_project"
                )
            name, timezone = body.get("name"), body.get("timezone")
            if name is not None and (not isinstance(name, str) or not name.strip()):
                raise BadRequest("`name` must be a non-empty string.", code="invalid_project")
            if timezone is not None and not valid_timezone(timezone):
                raise BadRequest(
                    f"{timezone!r} is not a time zone; use an IANA name like 'UTC' or "
                    "'America/New_York'.",
                    code="invalid_timezone",
                )
            project = self.catalog.update_project(project.id, name=name, timezone=timezone)
        return json(_project_json(project))

    async def query(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"The body is not JSON: {exc}.", code="invalid_json") from None
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, dict):
            raise BadRequest('Send {"query": {"kind": ...}}.', code="invalid_query")
        kind = query.get("kind")
        runner = self.runners.get(kind) if isinstance(kind, str) else None
        if runner is None:
            raise BadRequest(
                f"Unknown query kind {kind!r}. Supported: {', '.join(self.runners)}.",
                code="invalid_query",
            )
        env = QueryEnv(self.events, project.id, project.timezone, self.actions)
        return json(await self.query_gate.run(project.id, runner, env, query))

    def _hogql(self, env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
        """`properties.<key>` reads typed values (Numeric, Boolean, DateTime) as inferred by
        the property definitions."""
        text = query.get("query")
        mentions = isinstance(text, str) and "properties" in text
        types = self.definitions.property_types(env.team_id) if mentions else {}
        return run_hogql_query(env.store, env.team_id, env.timezone, query, types)

    def _with_ids(self, person: Person) -> Person:
        person.distinct_ids = self.persons.distinct_ids(person.team_id, person.id)
        return person

    async def persons_list(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        distinct_id = request.query_params.get("distinct_id")
        if distinct_id is not None:
            found = self.persons.get_by_distinct_id(project.id, distinct_id)
            people = [found] if found else []
        else:
            limit, offset = _page(request)
            people = list(self.persons.recent(project.id, limit, offset))
        return json({"results": [_person_json(self._with_ids(p)) for p in people]})

    async def person(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        person_id = request.path_params["person_id"]
        found = self.persons.get(project.id, person_id)
        if found is None:
            raise NotFound(f"There is no person {person_id!r} in this project.")
        return json(_person_json(self._with_ids(found)))

    async def event(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        raw = request.path_params["event_id"]
        try:
            event_id = str(uuidlib.UUID(raw))
        except ValueError:
            raise NotFound(f"{raw!r} is not an event id (a UUID).") from None
        result = await run_in_threadpool(
            run_events_query,
            self.events,
            project.id,
            {"select": ["*"], "limit": 1},
            uuid=event_id,
        )
        if not result["results"]:
            raise NotFound(f"There is no event {event_id} in this project.")
        event = result["results"][0][0]
        return json({"id": event["uuid"], **event})

    async def ingestion(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        status = await run_in_threadpool(self.worker.status, project.id)
        return json(status)

    async def ingestion_warnings(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        limit, offset = _page(request)
        return json({"results": self.worker.state.warnings(project.id, limit, offset)})

    async def materialized_columns(self, request: Request) -> Response:
        """GET lists the materialized properties; POST {"property": key} adds one.

        A materialized property is read from a typed column instead of parsing the JSON text,
        which makes filters on it several times faster. Adding one does not rewrite stored
        events: older parts compute the column when read until merges write it.
        """
        project_for(request, self.catalog)
        if request.method == "POST":
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                body = None
            key = body.get("property") if isinstance(body, dict) else None
            if not isinstance(key, str) or not key or len(key) > 200:
                raise BadRequest(
                    'Send {"property": "<property key>"} (at most 200 characters).',
                    code="invalid_property",
                )
            column = await run_in_threadpool(self.events.materialize, key)
            return json({"property": key, "column": column}, status=201)
        columns = self.events.materialized_columns()
        return json({"results": [{"property": k, "column": v} for k, v in sorted(columns.items())]})

    def routes(self) -> list[BaseRoute]:
        base = "/api/projects/{project_id}"
        return [
            Route("/api/projects/", self.projects, methods=["GET"]),
            Route(base + "/", self.project, methods=["GET", "PATCH"]),
            Route(base + "/query/", self.query, methods=["POST"]),
            Route(base + "/persons/", self.persons_list, methods=["GET"]),
            Route(base + "/persons/{person_id}/", self.person, methods=["GET"]),
            Route(base + "/events/{event_id}/", self.event, methods=["GET"]),
            Route(base + "/ingestion/", self.ingestion, methods=["GET"]),
            Route(base + "/ingestion/warnings/", self.ingestion_warnings, methods=["GET"]),
            Route(
                base + "/materialized_columns/", self.materialized_columns, methods=["GET", "POST"]
            ),
            *DefinitionsApi(self.catalog, self.definitions).routes(base),
        ]
