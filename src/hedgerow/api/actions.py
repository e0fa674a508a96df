"""`/api/projects/{id}/actions/`: list, create, read, change and delete actions."""

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
from hedgerow.api.auth import project_for
from hedgerow.api.models import (
    MAX_SQLITE_INTEGER,
    ActionChanges,
    ActionCreate,
    ActionList,
    ActionOut,
)
from hedgerow.api.validation import body_of
from hedgerow.errors import BadRequest, NotFound
from hedgerow.projects import ProjectCatalog
from hedgerow.query.actions import validate_step
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

    def _validate(self, body: ActionChanges) -> dict[str, Any]:
        """The fields sent, cleaned; steps as stored (`validate_step`), regexes checked."""
        changes: dict[str, Any] = {}
        sent = body.model_fields_set
        if "name" in sent and body.name is not None:
            changes["name"] = body.name
        if "description" in sent:
            changes["description"] = body.description or ""
        if "steps" in sent:
            steps = [s.model_dump(exclude_unset=True) for s in body.steps or []]
            changes["steps"] = [validate_step(step) for step in steps]
            self._check_regexes(changes["steps"])
        if body.deleted is not None:
            changes["deleted"] = body.deleted
        return changes

    def _check_regexes(self, steps: list[dict[str, Any]]) -> None:
        """Refuse a regex ClickHouse cannot compile now, rather than at every query."""
        for step in steps:
            for key in ("url", "text", "href"):
                if step.get(key) is not None and step.get(f"{key}_matching") == "regex":
                    try:
                        self.events.query(
                            "SELECT match('', {re:String})", {"re": escape_text(step[key])}
                        )
                    except RuntimeError as exc:
                        detail = str(exc).split("error: ", 1)[-1].split(". Look at", 1)[0]
                        raise BadRequest(
                            f"The step's {key} regex {step[key]!r} is not valid ({detail}); "
                            "regexes use RE2 syntax.",
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
            return _json(action_json(created), status=201)
        found = [action_json(a) for a in self.actions.all(project.id)]
        return _json(ActionList(count=len(found), next=None, previous=None, results=found))

    async def item(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        action_id = self._action_id(request)
        if request.method == "GET":
            found = self.actions.get(project.id, action_id)
        elif request.method == "DELETE":
            found = self.actions.update(project.id, action_id, deleted=True)
            if found is not None:
                return Response(status_code=204)
        else:
            changes = self._validate(
                await body_of(request, ActionChanges, code="invalid_action", hint=HINT)
            )
            found = self.actions.update(project.id, action_id, **changes)
        if found is None:
            raise NotFound(f"There is no action {action_id} in project {project.id}.")
        return _json(action_json(found))

    def routes(self) -> list[BaseRoute]:
        base = "/api/projects/{project_id}/actions/"
        return [
            Route(base, self.collection, methods=["GET", "POST"]),
            Route(base + "{action_id}/", self.item, methods=["GET", "PATCH", "DELETE"]),
        ]
