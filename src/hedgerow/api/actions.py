"""`/api/projects/{id}/actions/`: list, create, read, change and delete actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.actions import Action, ActionStore
from hedgerow.api.auth import project_for
from hedgerow.errors import BadRequest, NotFound
from hedgerow.projects import ProjectCatalog
from hedgerow.query.actions import validate_step
from hedgerow.query.sql import escape_text
from hedgerow.store.events import EventStore

MAX_NAME = 400
MAX_STEPS = 50


def action_json(action: Action) -> dict[str, Any]:
    def iso(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")

    return {
        "id": action.id,
        "name": action.name,
        "description": action.description,
        "steps": action.steps,
        "created_at": iso(action.created_at),
        "updated_at": iso(action.updated_at),
        "deleted": action.deleted,
    }


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The body is not JSON: {exc}.", code="invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest(
            'Send an object like {"name": ..., "steps": [...]}.', code="invalid_action"
        )
    return body


@dataclass
class ActionsApi:
    catalog: ProjectCatalog
    actions: ActionStore
    events: EventStore

    def _validate(self, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "name" in body or not partial:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
                raise BadRequest(
                    f"An action needs a `name`: a non-empty string of at most {MAX_NAME} "
                    "characters.",
                    code="invalid_action",
                )
            changes["name"] = name.strip()
        if "description" in body:
            description = body.get("description")
            description = "" if description is None else description
            if not isinstance(description, str):
                raise BadRequest("`description` must be a string.", code="invalid_action")
            changes["description"] = description
        if "steps" in body or not partial:
            steps = body.get("steps")
            steps = [] if steps is None else steps  # `{}`, `""` or 0 are refused, not emptied
            if not isinstance(steps, list) or len(steps) > MAX_STEPS:
                raise BadRequest(
                    f"`steps` must be a list of at most {MAX_STEPS} step objects.",
                    code="invalid_action",
                )
            changes["steps"] = [validate_step(step) for step in steps]
            self._check_regexes(changes["steps"])
        if "deleted" in body:
            changes["deleted"] = bool(body["deleted"])
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
            return int(raw)
        except ValueError:
            raise NotFound(f"There is no action {raw!r}.") from None

    async def collection(self, request: Request) -> Response:
        project = project_for(request, self.catalog)
        if request.method == "POST":
            changes = self._validate(await _body(request), partial=False)
            created = await run_in_threadpool(
                self.actions.create,
                project.id,
                changes["name"],
                changes.get("description", ""),
                changes["steps"],
            )
            return _json(action_json(created), status=201)
        found = [action_json(a) for a in self.actions.all(project.id)]
        return _json({"count": len(found), "next": None, "previous": None, "results": found})

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
            changes = self._validate(await _body(request), partial=True)
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
