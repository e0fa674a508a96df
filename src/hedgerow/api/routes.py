"""The /api routes, in PostHog's shapes."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.actions import ActionStore
from hedgerow.api.accounts import project_out
from hedgerow.api.actors import run_actors_query
from hedgerow.api.auth import allowed_projects, audit, authenticate, project_for
from hedgerow.api.cached_query import CACHED_KINDS, CachedQueries
from hedgerow.api.definitions import DefinitionsApi
from hedgerow.api.exports import ExportsApi
from hedgerow.api.limits import QueryGate
from hedgerow.api.models import (
    MaterializeBody,
    PersonList,
    PersonOut,
    PersonsParams,
    ProjectChanges,
    ProjectList,
    ProjectOut,
)
from hedgerow.api.query_body import QueryRequest
from hedgerow.api.schema import build_document
from hedgerow.api.sql_schema import SqlSchemaApi
from hedgerow.api.validation import body_of, params_of, read_json, validate
from hedgerow.api.warnings import WarningsApi
from hedgerow.audit import changes
from hedgerow.errors import NotFound
from hedgerow.ingestion.steps.redact import redacted_keys
from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.persons.store import Person, PersonStore
from hedgerow.projects import UNCHANGED, Project, ProjectCatalog
from hedgerow.query.core import QueryEnv, QueryRunner
from hedgerow.query.definitions import Definitions
from hedgerow.query.events_query import events_query_runner, run_events_query
from hedgerow.query.funnels import run_funnels_query
from hedgerow.query.hogql import run_hogql_query
from hedgerow.query.lifecycle import run_lifecycle_query
from hedgerow.query.paths import run_paths_query
from hedgerow.query.persons import last_seen
from hedgerow.query.retention import run_retention_query
from hedgerow.query.stickiness import run_stickiness_query
from hedgerow.query.trends import run_trends_query
from hedgerow.query.web_filters import check_path_cleaning
from hedgerow.query.web_overview import run_web_overview_query
from hedgerow.query.web_stats_table import run_web_stats_table_query
from hedgerow.store.events import EventStore

# The query kinds `POST /api/projects/{id}/query/` answers, by `kind`.
QUERY_RUNNERS: dict[str, QueryRunner] = {
    "EventsQuery": events_query_runner,
    "TrendsQuery": run_trends_query,
    "FunnelsQuery": run_funnels_query,
    "RetentionQuery": run_retention_query,
    "LifecycleQuery": run_lifecycle_query,
    "StickinessQuery": run_stickiness_query,
    "PathsQuery": run_paths_query,
    "WebOverviewQuery": run_web_overview_query,
    "WebStatsTableQuery": run_web_stats_table_query,
}


def json(body: Any, status: int = 200) -> Response:
    """A JSON answer; a model (the fixed shapes of `hedgerow.api.models`) is dumped first."""
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _project_json(project: Project) -> ProjectOut:
    return project_out(project)


def _setting(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _person_json(person: Person, last_seen_at: str | None) -> PersonOut:
    return PersonOut(
        id=person.id,
        uuid=person.id,
        distinct_ids=person.distinct_ids,
        properties=person.properties,
        is_identified=person.is_identified,
        created_at=person.created_at.replace(" ", "T", 1) + "Z",
        last_seen_at=last_seen_at,
    )


@dataclass
class Api:
    catalog: ProjectCatalog
    persons: PersonStore
    events: EventStore
    worker: IngestionWorker
    actions: ActionStore | None = None
    query_gate: QueryGate = field(default_factory=QueryGate)
    results: CachedQueries | None = None  # the result cache of the insight kinds
    on_retention_change: Callable[[], None] | None = None  # wakes the retention runner
    export_max_rows: int = 100_000_000
    definitions: Definitions = field(init=False)
    runners: dict[str, QueryRunner] = field(init=False)
    schema_json: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.definitions = Definitions(self.events)
        self.runners = {**QUERY_RUNNERS, "HogQLQuery": self._hogql, "ActorsQuery": self._actors}
        self.schema_json = orjson.dumps(build_document())

    async def schema(self, request: Request) -> Response:
        """The OpenAPI document (public: it holds no project's data)."""
        return Response(self.schema_json, media_type="application/json")

    async def projects(self, request: Request) -> Response:
        allowed = allowed_projects(request, self.catalog)
        projects = [p for p in self.catalog.all() if p.id in allowed]
        return json(ProjectList(count=len(projects), results=[_project_json(p) for p in projects]))

    async def project(self, request: Request) -> Response:
        """GET one project; PATCH `{"name"?, "timezone"?, "retention_days"?,
        "redacted_properties"?, "path_cleaning_filters"?, "anonymize_ips"?,
        "cookieless_server_hash_mode"?}` changes it: the time zone is an IANA name such as
        'Europe/Paris' (trends count days on that clock), `retention_days` null keeps events
        for ever, `redacted_properties`, `anonymize_ips` (discard client IP data) and the
        cookieless mode (0 off, 1 stateless, 2 stateful) apply to events ingested from then on,
        `path_cleaning_filters` (`[{"regex", "alias"}]`, RE2) to web analytics queries."""
        project = project_for(request, self.catalog)
        if request.method == "PATCH":
            before = project
            changes = await body_of(
                request,
                ProjectChanges,
                code="invalid_project",
                hint='Send {"name": ..., "timezone": ..., "retention_days": ..., '
                '"redacted_properties": [...], "path_cleaning_filters": [{"regex": ..., '
                '"alias": ...}], "anonymize_ips": true|false, "cookieless_server_hash_mode": '
                "0|1|2} (any of them).",
            )
            given = changes.model_fields_set
            rules: list[tuple[str, str]] | None = None
            if changes.path_cleaning_filters is not None:
                rules = [(r.regex, r.alias) for r in changes.path_cleaning_filters]
                await run_in_threadpool(check_path_cleaning, self.events, rules)
            project = self.catalog.update_project(
                project.id,
                name=changes.name,
                timezone=changes.timezone,
                retention_days=changes.retention_days if "retention_days" in given else UNCHANGED,
                redacted_properties=changes.redacted_properties,
                path_cleaning_filters=rules,
                anonymize_ips=changes.anonymize_ips,
                cookieless_server_hash_mode=changes.cookieless_server_hash_mode,
            )
            self.worker.redactions[project.id] = redacted_keys(project)
            if "retention_days" in given and self.on_retention_change is not None:
                self.on_retention_change()
            self._audit_update(request, before, project)
        return json(_project_json(project))

    def _audit_update(self, request: Request, before: Project, after: Project) -> None:
        """One `project_updated` entry with the settings that changed, before and after."""
        fields = ("name", "timezone", "retention_days", "redacted_properties")
        changed = changes(
            {f: _setting(getattr(before, f)) for f in fields},
            {f: _setting(getattr(after, f)) for f in fields},
        )
        if changed:
            caller = authenticate(request, self.catalog)
            audit(
                request,
                caller,
                "project_updated",
                "Project",
                after.id,
                project_id=after.id,
                changes=changed,
            )

    async def query(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        body = await read_json(request)
        # The model checks the shape; the runner gets the query as sent (a dict).
        request_body = validate(QueryRequest, body, code="invalid_query")
        kind = request_body.query.kind
        query = body["query"]
        runner = self.runners[kind]
        env = QueryEnv(
            self.events,
            project.id,
            project.timezone,
            self.actions,
            path_cleaning=project.path_cleaning_filters,
        )

        async def compute() -> dict[str, Any]:
            return await self.query_gate.run(project.id, runner, env, query)

        if self.results is None or kind not in CACHED_KINDS:
            return json(await compute())
        answer = await self.results.answer(project, query, request_body.refresh, compute)
        return Response(answer, media_type="application/json")

    def _hogql(self, env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
        """`properties.<key>` reads typed values (Numeric, Boolean, DateTime) as inferred by
        the property definitions."""
        text = query.get("query")
        mentions = isinstance(text, str) and "properties" in text
        types = self.definitions.property_types(env.team_id) if mentions else {}
        return run_hogql_query(env.store, env.team_id, env.timezone, query, types)

    def _actors(self, env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
        return run_actors_query(env, query, self.persons, self._persons_json)

    def _with_ids(self, person: Person) -> Person:
        person.distinct_ids = self.persons.distinct_ids(person.team_id, person.id)
        return person

    def _persons_json(self, team_id: int, people: list[Person]) -> list[PersonOut]:
        """The persons with their distinct ids, and when each was last seen (one query)."""
        seen = last_seen(self.events, team_id, [p.id for p in people])
        return [_person_json(self._with_ids(p), seen.get(p.id)) for p in people]

    async def persons_list(self, request: Request) -> Response:
        """Persons newest first, `limit`/`offset`, `search` (`persons/search.py`); or the
        person of a `distinct_id`. `next` is the next page's address."""
        project = project_for(request, self.catalog)
        params = params_of(request, PersonsParams)
        distinct_id, search = params.distinct_id, params.search.strip()

        def find() -> tuple[list[PersonOut], bool]:
            if distinct_id is not None:
                found = self.persons.get_by_distinct_id(project.id, distinct_id)
                return self._persons_json(project.id, [found] if found else []), False
            rows = self.persons.recent(project.id, params.limit + 1, params.offset, search)
            people = list(rows)
            more = len(people) > params.limit
            return self._persons_json(project.id, people[: params.limit]), more

        results, more = await run_in_threadpool(find)
        following = None
        if more:
            following = str(request.url.include_query_params(offset=params.offset + params.limit))
        return json(PersonList(results=results, next=following))

    async def person(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        person_id = request.path_params["person_id"]

        def find() -> list[PersonOut]:
            found = self.persons.get(project.id, person_id)
            return self._persons_json(project.id, [found] if found else [])

        results = await run_in_threadpool(find)
        if not results:
            raise NotFound(f"There is no person {person_id!r} in this project.")
        return json(results[0])

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

    async def materialized_columns(self, request: Request) -> Response:
        """GET lists the materialized properties; POST {"property": key} adds one.

        A materialized property is read from a typed column instead of parsing the JSON text,
        which makes filters on it several times faster. Adding one does not rewrite stored
        events: older parts compute the column when read until merges write it.
        """
        project_for(request, self.catalog)
        if request.method == "POST":
            key = (
                await body_of(
                    request,
                    MaterializeBody,
                    code="invalid_property",
                    hint='Send {"property": "<property key>"}.',
                )
            ).property
            column = await run_in_threadpool(self.events.materialize, key)
            return json({"property": key, "column": column}, status=201)
        columns = self.events.materialized_columns()
        return json({"results": [{"property": k, "column": v} for k, v in sorted(columns.items())]})

    def routes(self) -> list[BaseRoute]:
        base = "/api/projects/{project_id}"
        return [
            Route("/api/schema/", self.schema, methods=["GET"]),
            Route("/api/projects/", self.projects, methods=["GET"]),
            Route(base + "/", self.project, methods=["GET", "PATCH"]),
            Route(base + "/query/", self.query, methods=["POST"]),
            Route(base + "/persons/", self.persons_list, methods=["GET"]),
            Route(base + "/persons/{person_id}/", self.person, methods=["GET"]),
            Route(base + "/events/{event_id}/", self.event, methods=["GET"]),
            Route(base + "/ingestion/", self.ingestion, methods=["GET"]),
            *WarningsApi(self.catalog, self.worker).routes(base),
            Route(
                base + "/materialized_columns/", self.materialized_columns, methods=["GET", "POST"]
            ),
            *DefinitionsApi(self.catalog, self.definitions).routes(base),
            *SqlSchemaApi(self.catalog, self.events).routes(base),
            *ExportsApi(self.catalog, self.events, self.export_max_rows, self.actions).routes(base),
        ]
