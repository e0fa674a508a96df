"""`/api/projects/{id}/actions/`: list, create, read, change and delete actions, and preview
the events an action being edited matches (`preview/`, for unsaved steps too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.actions import Action, ActionStore
from hedgerow.api.auth import audit, authenticate, project_for
from hedgerow.api.limits import QueryGate
from hedgerow.api.models import (
    MAX_SQLITE_INTEGER,
    ActionChanges,
    ActionCreate,
    ActionList,
    ActionOut,
    ActionPreview,
    ActionPreviewBody,
    ActionStep,
)
from hedgerow.api.validation import body_of
from hedgerow.audit import changes as field_changes
from hedgerow.errors import BadRequest, NotFound
from hedgerow.projects import ProjectCatalog
from hedgerow.query.action_preview import preview_action
from hedgerow.query.actions import validate_step
from hedgerow.query.core import QueryEnv
from hedgerow.query.sql import escape_text
from hedgerow.store.events import EventStore


def action_json(action: Action) -> ActionOut:
    def iso(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")

    return ActionOut(
        id=action.id,
        name=action.name,
        description=action.description,
        steps=action.steps,
        created_at=iso(action.created_at),
        updated_at=iso(action.updated_at),
        deleted=action.deleted,
    )


def _json(body: BaseModel, status: int = 200) -> Response:
    content = orjson.dumps(body.model_dump(mode="json"))
    return Response(content, status_code=status, media_type="application/json")


HINT = 'Send an object like {"name": ..., "steps": [...]}.'


@dataclass
class ActionsApi:
    catalog: ProjectCatalog
    actions: ActionStore
    events: EventStore
    query_gate: QueryGate

    def _validate(self, body: ActionChanges) -> dict[str, Any]:
        """The fields sent, cleaned; steps as stored (`validate_step`), regexes checked."""
        changes: dict[str, Any] = {}
        sent = body.model_fields_set
        if "name" in sent and body.name is not None:
            changes["name"] = body.name
        if "description" in sent:
            changes["description"] = body.description or ""
        if "steps" in sent:
            changes["steps"] = self._steps(body.steps or [])
        if body.deleted is not None:
            changes["deleted"] = body.deleted
        return changes

    def _steps(self, sent: list[ActionStep]) -> list[dict[str, Any]]:
        """The steps as stored (`validate_step`), regexes checked; a refusal names the field
        the way the body's own checks do (`steps[1].text`), so the editor can show it there."""
        steps = []
        for index, step in enumerate(sent):
            try:
                steps.append(validate_step(step.model_dump(exclude_unset=True)))
            except BadRequest as exc:
                field = "selector" if exc.code == "invalid_selector" else None
                where = f"steps[{index}].{field}" if field else f"steps[{index}]"
                raise BadRequest(f"`{where}`: {exc.message}", code=exc.code) from None
            self._check_regexes(index, steps[-1])
        return steps

    def _check_regexes(self, index: int, step: dict[str, Any]) -> None:
        """Refuse a regex ClickHouse cannot compile now, rather than at every query."""
        for key in ("url", "text", "href"):
            if step.get(key) is not None and step.get(f"{key}_matching") == "regex":
                try:
                    self.events.query(
                        "SELECT match('', {re:String})", {"re": escape_text(step[key])}
                    )
                except RuntimeError as exc:
                    detail = str(exc).split("error: ", 1)[-1].split(". Look at", 1)[0]
                    raise BadRequest(
                        f"`steps[{index}].{key}`: the regex {step[key]!r} is not valid "
                        f"({detail}); regexes use RE2 syntax.",
                        code="invalid_action",
                    ) from None

    def _action_id(self, request: Request) -> int:
        raw = request.path_params["action_id"]
        try:
            action_id = int(raw)
        except ValueError:
            raise NotFound(f"There is no action {raw!r}.") from None
        if not 0 <= action_id <= MAX_SQLITE_INTEGER:  # SQLite cannot even compare it
            raise NotFound(f"There is no action {raw!r}.")
        return action_id

    async def collection(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        if request.method == "POST":
            changes = self._validate(
                await body_of(request, ActionCreate, code="invalid_action", hint=HINT)
            )
            created = await run_in_threadpool(
                self.actions.create,
                project.id,
                changes["name"],
                changes.get("description", ""),
                changes.get("steps", []),
            )
            audit(
                request,
                authenticate(request, self.catalog),
                "action_created",
                "Action",
                created.id,
                project_id=project.id,
                name=created.name,
            )
            return _json(action_json(created), status=201)
        found = [action_json(a) for a in self.actions.all(project.id)]
        return _json(ActionList(count=len(found), next=None, previous=None, results=found))

    async def item(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        action_id = self._action_id(request)
        before = self.actions.get(project.id, action_id)
        if request.method == "GET":
            found = before
        elif request.method == "DELETE":
            found = self.actions.update(project.id, action_id, deleted=True)
            if found is not None:
                self._audit_change(request, project.id, before, found)
                return Response(status_code=204)
        else:
            changes = self._validate(
                await body_of(request, ActionChanges, code="invalid_action", hint=HINT)
            )
            found = self.actions.update(project.id, action_id, **changes)
            if found is not None:
                self._audit_change(request, project.id, before, found)
        if found is None:
            raise NotFound(f"There is no action {action_id} in project {project.id}.")
        return _json(action_json(found))

    def _audit_change(
        self, request: Request, project_id: int, before: Action | None, after: Action
    ) -> None:
        """`action_deleted` when it was deleted now, else `action_updated` with the fields
        that changed (nothing recorded when nothing did)."""
        fields = ("name", "description", "steps", "deleted")
        old = {f: getattr(before, f) for f in fields} if before else {}
        changed = field_changes(old, {f: getattr(after, f) for f in fields})
        if not changed:
            return
        deleted = after.deleted and not (before and before.deleted)
        activity = "action_deleted" if deleted else "action_updated"
        caller = authenticate(request, self.catalog)
        audit(
            request,
            caller,
            activity,
            "Action",
            after.id,
            project_id=project_id,
            name=after.name,
            changes=changed,
        )

    async def preview(self, request: Request) -> Response:
        """POST `{"steps": [...], "limit"?}`: the events those steps matched in the last 30
        days (`count`, and the newest `limit` of them), whether or not the action is saved."""
        project = project_for(request, self.catalog)
        body = await body_of(
            request, ActionPreviewBody, code="invalid_action", hint='Send {"steps": [...]}.'
        )
        steps = await run_in_threadpool(self._steps, body.steps)
        env = QueryEnv(self.events, project.id, project.timezone)
        found = await self.query_gate.run(project.id, preview_action, env, steps, body.limit)
        return _json(ActionPreview.model_validate(found))

    def routes(self) -> list[BaseRoute]:
        base = "/api/projects/{project_id}/actions/"
        return [
            Route(base, self.collection, methods=["GET", "POST"]),
            Route(base + "preview/", self.preview, methods=["POST"]),
            Route(base + "{action_id}/", self.item, methods=["GET", "PATCH", "DELETE"]),
        ]
