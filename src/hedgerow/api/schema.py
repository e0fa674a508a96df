"""The OpenAPI 3.1 document of the query API, accounts and capture, built from the models at start.

`OPERATIONS` lists each route with the models of what it reads and answers; the JSON
schemas come from pydantic (the same classes the handlers validate with), so the document
says what the code does. Served at `GET /api/schema/` (no key needed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from hedgerow import __version__
from hedgerow.api import activity_log_models as al
from hedgerow.api import erasure_models as er
from hedgerow.api import insight_models as i
from hedgerow.api import models as m
from hedgerow.api import warning_models as w
from hedgerow.api.capture_models import CaptureBody, CaptureOk
from hedgerow.api.exports import ExportBody
from hedgerow.api.query_body import QueryRequest
from hedgerow.api.sql_models import SqlSchema

PROJECT = "/api/projects/{project_id}"
SECURITY_SCHEME = "PersonalApiKey"
SESSION_SCHEME = "SessionCookie"
API_ERRORS = {
    400: "Invalid input",
    401: "No key or session, or an unknown key",
    403: "Another organization's project, or a session request without its CSRF token",
}
SIGN_IN_ERRORS = {
    400: "Invalid input",
    401: "Wrong email or password",
    429: "Too many failed sign-ins; retry after Retry-After seconds",
}
CAPTURE_PATHS = ("/e/", "/i/v0/e/", "/capture/", "/track/", "/engage/", "/batch/")
CAPTURE_ERRORS = {
    400: "The body cannot be decoded or holds no event",
    401: "Unknown project token",
    413: "The body is over the size limit",
    503: "Intake is behind; retry after Retry-After seconds",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    responses: dict[int, type[BaseModel] | None]  # status -> answer model (None: no body)
    body: type[BaseModel] | None = None
    params: type[BaseModel] | None = None
    errors: dict[int, str] = field(default_factory=lambda: dict(API_ERRORS))
    secured: bool = True
    tag: str = "api"


def _api(method: str, path: str, summary: str, ok: type[BaseModel] | None, **kw: Any) -> Operation:
    status = kw.pop("status", 200)
    errors = {**API_ERRORS, 404: "No such project (or item)", **kw.pop("errors", {})}
    return Operation(method, path, summary, {status: ok}, errors=errors, **kw)


ACCOUNT_OPERATIONS: list[Operation] = [
    Operation(
        "post",
        "/api/login/",
        "Sign in: sets the session cookies",
        {200: m.SignedIn},
        body=m.SignInBody,
        errors=SIGN_IN_ERRORS,
        secured=False,
        tag="accounts",
    ),
    _api("post", "/api/logout/", "Sign out: ends the session", m.SignedOut, tag="accounts"),
    _api("get", "/api/users/@me/", "The caller and their projects", m.UserOut, tag="accounts"),
    _api(
        "patch",
        "/api/users/@me/",
        "Switch the current project (sessions only)",
        m.UserOut,
        body=m.UserChanges,
        tag="accounts",
    ),
    Operation(
        "get",
        "/api/setup/",
        "Whether the first user is still to be created",
        {200: m.SetupStatus},
        errors={},
        secured=False,
        tag="accounts",
    ),
    Operation(
        "post",
        "/api/setup/",
        "Create the first user with the setup link's token, signed in",
        {200: m.SignedIn},
        body=m.SetupBody,
        errors={400: "Invalid input", 403: "Wrong or used token, or already set up"},
        secured=False,
        tag="accounts",
    ),
    _api(
        "get",
        "/api/personal_api_keys/",
        "The caller's personal API keys (sessions only)",
        m.PersonalKeyList,
        tag="accounts",
    ),
    _api(
        "post",
        "/api/personal_api_keys/",
        "Create a personal API key; its value is shown once (sessions only)",
        m.PersonalKeyCreated,
        body=m.PersonalKeyCreate,
        status=201,
        tag="accounts",
    ),
    _api(
        "delete",
        "/api/personal_api_keys/{key_id}/",
        "Revoke a personal API key (sessions only)",
        None,
        status=204,
        tag="accounts",
    ),
    _api(
        "post",
        "/api/projects/",
        "Create a project (a new token) in the caller's organization",
        m.ProjectOut,
        body=m.ProjectCreate,
        status=201,
    ),
    _api(
        "get",
        "/api/organizations/@current/activity_log/",
        "The organization's audit log (sign-ins, users, keys, projects), newest first",
        al.ActivityLogList,
        params=al.ActivityLogParams,
        tag="accounts",
    ),
    _api(
        "get",
        PROJECT + "/activity_log/",
        "The project's audit log (settings, actions, erasures, exports), newest first",
        al.ActivityLogList,
        params=al.ActivityLogParams,
    ),
]

INSIGHT = PROJECT + "/insights/{insight_id}/"
INSIGHT_OPERATIONS: list[Operation] = [
    _api(
        "get",
        PROJECT + "/insights/",
        "Saved insights, newest change first",
        i.InsightList,
        params=i.InsightsParams,
        tag="insights",
    ),
    _api(
        "post",
        PROJECT + "/insights/",
        "Save an insight",
        i.InsightOut,
        body=i.InsightCreate,
        status=201,
        tag="insights",
    ),
    _api("get", INSIGHT, "One saved insight", i.InsightOut, tag="insights"),
    _api(
        "patch",
        INSIGHT,
        "Change a saved insight, or the dashboards it is on",
        i.InsightOut,
        body=i.InsightChanges,
        tag="insights",
    ),
    _api("delete", INSIGHT, "Delete an insight (its tiles too)", None, status=204, tag="insights"),
]
DELETED: dict[str, Any] = {"status": 204, "tag": "dashboards"}
DASHBOARD = PROJECT + "/dashboards/{dashboard_id}/"
DASHBOARD_OPERATIONS: list[Operation] = [
    _api(
        "get",
        PROJECT + "/dashboards/",
        "Dashboards, pinned first, then by name",
        i.DashboardList,
        params=i.DashboardsParams,
        tag="dashboards",
    ),
    _api(
        "post",
        PROJECT + "/dashboards/",
        "Create a dashboard, empty or from a template",
        i.DashboardOut,
        body=i.DashboardCreate,
        status=201,
        tag="dashboards",
    ),
    _api("get", DASHBOARD, "One dashboard with its tiles", i.DashboardOut, tag="dashboards"),
    _api(
        "patch",
        DASHBOARD,
        "Change a dashboard: name, filters, tiles (place, color, text, removal, new text cards)",
        i.DashboardOut,
        body=i.DashboardChanges,
        tag="dashboards",
    ),
    _api("delete", DASHBOARD, "Delete a dashboard (its insights stay)", None, **DELETED),
]

OPERATIONS: list[Operation] = [
    _api("get", "/api/projects/", "The projects the key may see", m.ProjectList),
    _api("get", PROJECT + "/", "One project", m.ProjectOut),
    _api(
        "patch",
        PROJECT + "/",
        "Change name, time zone, retention period, redacted properties, path cleaning, IP "
        "discarding or cookieless mode",
        m.ProjectOut,
        body=m.ProjectChanges,
    ),
    _api(
        "post",
        PROJECT + "/query/",
        "Run an EventsQuery, TrendsQuery, FunnelsQuery, RetentionQuery, LifecycleQuery, "
        "StickinessQuery, PathsQuery, ActorsQuery, WebOverviewQuery, WebStatsTableQuery or "
        "HogQLQuery",
        m.QueryResult,
        body=QueryRequest,
        errors={429: "Too many queries at once", 503: "Busy; retry after Retry-After seconds"},
        tag="query",
    ),
    _api("get", PROJECT + "/actions/", "The project's actions", m.ActionList, tag="actions"),
    _api(
        "post",
        PROJECT + "/actions/",
        "Create an action",
        m.ActionOut,
        body=m.ActionCreate,
        status=201,
        tag="actions",
    ),
    _api(
        "post",
        PROJECT + "/actions/preview/",
        "The events an action's steps (saved or not) matched in the last 30 days",
        m.ActionPreview,
        body=m.ActionPreviewBody,
        errors={429: "Too many queries at once"},
        tag="actions",
    ),
    _api("get", PROJECT + "/actions/{action_id}/", "One action", m.ActionOut, tag="actions"),
    _api(
        "patch",
        PROJECT + "/actions/{action_id}/",
        "Change an action",
        m.ActionOut,
        body=m.ActionChanges,
        tag="actions",
    ),
    _api(
        "delete",
        PROJECT + "/actions/{action_id}/",
        "Delete an action",
        None,
        status=204,
        tag="actions",
    ),
    *INSIGHT_OPERATIONS,
    *DASHBOARD_OPERATIONS,
    _api("get", PROJECT + "/persons/", "Persons", m.PersonList, params=m.PersonsParams),
    _api("get", PROJECT + "/persons/{person_id}/", "One person", m.PersonOut),
    _api(
        "delete",
        PROJECT + "/persons/{person_id}/",
        "Erase a person (and with delete_events=true its events): starts an erasure job",
        er.ErasureJobOut,
        params=er.PersonDeleteParams,
        status=202,
        tag="erasure",
    ),
    _api(
        "post",
        PROJECT + "/persons/bulk_delete/",
        "Erase the persons person property filters, ids or distinct ids select",
        er.ErasureJobOut,
        body=er.BulkDeleteBody,
        status=202,
        tag="erasure",
    ),
    _api(
        "get",
        PROJECT + "/erasures/",
        "Erasure jobs, newest first",
        er.ErasureJobList,
        tag="erasure",
    ),
    _api(
        "get", PROJECT + "/erasures/{job_id}/", "One erasure job", er.ErasureJobOut, tag="erasure"
    ),
    _api("get", PROJECT + "/events/{event_id}/", "One event by its uuid", m.EventOut),
    _api("get", PROJECT + "/ingestion/", "Ingestion status", m.IngestionStatus),
    _api(
        "get",
        PROJECT + "/ingestion/warnings/",
        "Ingestion warnings, newest first",
        w.WarningList,
        params=w.WarningsParams,
    ),
    _api(
        "get",
        PROJECT + "/ingestion/warnings/summary/",
        "Ingestion warnings per type: count, last seen, a count per day of the last 30",
        w.WarningSummary,
    ),
    _api(
        "get",
        PROJECT + "/event_definitions/",
        "Event names sent",
        m.EventDefinitionPage,
        params=m.DefinitionsParams,
        tag="definitions",
    ),
    _api(
        "get",
        PROJECT + "/property_definitions/",
        "Property keys sent, with inferred types",
        m.PropertyDefinitionPage,
        params=m.PropertyDefinitionsParams,
        tag="definitions",
    ),
    _api(
        "get",
        PROJECT + "/sql/schema/",
        "The tables, columns and functions SQL can name",
        SqlSchema,
        tag="query",
    ),
    _api(
        "post",
        PROJECT + "/exports/",
        "Download an events query (EventsQuery or HogQLQuery) as CSV, JSON lines or Parquet, "
        "streamed; X-Hedgerow-Row-Count gives the rows",
        None,
        body=ExportBody,
        tag="query",
    ),
    _api("get", PROJECT + "/materialized_columns/", "Materialized properties", m.MaterializedList),
    _api(
        "post",
        PROJECT + "/materialized_columns/",
        "Materialize a property",
        m.MaterializedColumn,
        body=m.MaterializeBody,
        status=201,
    ),
    *ACCOUNT_OPERATIONS,
    *(
        Operation(
            "post",
            path,
            "Capture an event, an array of events or a batch",
            {200: CaptureOk},
            body=CaptureBody,
            errors=CAPTURE_ERRORS,
            secured=False,
            tag="capture",
        )
        for path in CAPTURE_PATHS
    ),
]
PATH_PARAMS = {
    "project_id": {"type": "integer"},
    "action_id": {"type": "integer"},
    "key_id": {"type": "integer"},
    "insight_id": {"type": "integer"},
    "dashboard_id": {"type": "integer"},
    "job_id": {"type": "integer"},
    "person_id": {"type": "string", "format": "uuid"},
    "event_id": {"type": "string", "format": "uuid"},
}


def _schemas() -> tuple[dict[tuple[Any, JsonSchemaMode], Any], dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (m.ErrorBody, "serialization"): None
    }
    for operation in OPERATIONS:
        if operation.body is not None:
            wanted[(operation.body, "validation")] = None
        for model in operation.responses.values():
            if model is not None:
                wanted[(model, "serialization")] = None
    refs, top = models_json_schema(list(wanted), ref_template="#/components/schemas/{model}")
    return refs, top.get("$defs", {})


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    found = [
        {"name": name, "in": "path", "required": True, "schema": schema}
        for name, schema in PATH_PARAMS.items()
        if "{" + name + "}" in operation.path
    ]
    if operation.params is not None:
        properties = operation.params.model_json_schema()["properties"]
        for name, schema in properties.items():
            found.append({"name": name, "in": "query", "required": False, "schema": schema})
    return found


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def build_document() -> dict[str, Any]:
    refs, schemas = _schemas()
    error_ref = refs[(m.ErrorBody, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        responses: dict[str, Any] = {}
        for status, model in operation.responses.items():
            answer: dict[str, Any] = {"description": "Success"}
            if model is not None:
                answer["content"] = _json_content(refs[(model, "serialization")])
            responses[str(status)] = answer
        for status, why in operation.errors.items():
            responses[str(status)] = {"description": why, "content": _json_content(error_ref)}
        spec: dict[str, Any] = {
            "summary": operation.summary,
            "operationId": operation.method + operation.path.replace("/", "_").rstrip("_"),
            "tags": [operation.tag],
            "parameters": _parameters(operation),
            "responses": responses,
            "security": [{SECURITY_SCHEME: []}, {SESSION_SCHEME: []}] if operation.secured else [],
        }
        if operation.body is not None:
            schema = refs[(operation.body, "validation")]
            spec["requestBody"] = {"required": True, "content": _json_content(schema)}
        paths.setdefault(operation.path, {})[operation.method] = spec
    paths["/api/schema/"] = {
        "get": {
            "summary": "This document",
            "operationId": "get_api_schema",
            "tags": ["api"],
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document"}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hedgerow",
            "version": __version__,
            "description": "The query API (docs/api.md) and capture (docs/capture.md).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API key: `Authorization: Bearer <key>`.",
                },
                SESSION_SCHEME: {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "hedgerow_session",
                    "description": "The web app's session (POST /api/login/). Requests that "
                    "change something also send `X-CSRFToken` (the hedgerow_csrftoken cookie).",
                },
            },
        },
    }
