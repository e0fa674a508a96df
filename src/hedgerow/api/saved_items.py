"""What the insights and dashboards endpoints share: ids read from the path, answers as
JSON, an insight as the API shows it (with who made and last changed it), and the pages
of a list."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from hedgerow.accounts.users import UserStore
from hedgerow.api.insight_models import InsightOut, UserBasic
from hedgerow.api.models import MAX_SQLITE_INTEGER
from hedgerow.errors import NotFound
from hedgerow.insights.schema import iso
from hedgerow.insights.store import Insight


def json_response(body: BaseModel, status: int = 200) -> Response:
    content = orjson.dumps(body.model_dump(mode="json"))
    return Response(content, status_code=status, media_type="application/json")


def path_id(request: Request, name: str, what: str) -> int:
    """The integer id in the path, or 404 naming the `what` (an id SQLite cannot hold names
    nothing)."""
    raw = request.path_params[name]
    try:
        value = int(raw)
    except ValueError:
        raise NotFound(f"There is no {what} {raw!r}.") from None
    if not 0 <= value <= MAX_SQLITE_INTEGER:
        raise NotFound(f"There is no {what} {raw!r}.")
    return value


class Authors:
    """Users as `{"id", "email"}`, each read once per answer."""

    def __init__(self, users: UserStore | None) -> None:
        self.users = users
        self._seen: dict[int, UserBasic | None] = {}

    def __call__(self, user_id: int | None) -> UserBasic | None:
        if user_id is None or self.users is None:
            return None
        if user_id not in self._seen:
            user = self.users.by_id(user_id)
            self._seen[user_id] = UserBasic(id=user.id, email=user.email) if user else None
        return self._seen[user_id]


def insight_out(insight: Insight, authors: Authors) -> InsightOut:
    return InsightOut(
        id=insight.id,
        short_id=insight.short_id,
        name=insight.name,
        description=insight.description,
        query=insight.query,
        favorited=insight.favorited,
        dashboards=insight.dashboards,
        created_at=iso(insight.created_at),
        created_by=authors(insight.created_by),
        last_modified_at=iso(insight.last_modified_at),
        last_modified_by=authors(insight.last_modified_by),
    )


def page_links(request: Request, count: int, limit: int, offset: int) -> dict[str, Any]:
    """`next` and `previous`: the addresses of the pages around this one (null at the ends)."""
    following = None
    if offset + limit < count:
        following = str(request.url.include_query_params(offset=offset + limit))
    previous = None
    if offset > 0:
        previous = str(request.url.include_query_params(offset=max(0, offset - limit)))
    return {"count": count, "next": following, "previous": previous}
