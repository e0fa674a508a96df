"""Who is calling: a personal API key (`Authorization: Bearer <key>`) or a signed-in session.

A key opens the projects it was made for (or every project of its organization); a session
opens every project of its user's organization. A request carrying a session cookie that
changes something (POST, PUT, PATCH, DELETE) must also send `X-CSRFToken` equal to the
session's CSRF token: another site can make a browser send the cookie, but cannot read the
token. Requests with a key need no token (browsers never add an Authorization header by
themselves). Sign-in and setup do not come through here.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from hedgerow.accounts.sessions import CSRF_HEADER, Session, session_of
from hedgerow.accounts.users import User, UserStore
from hedgerow.audit import Actor, AuditLog
from hedgerow.errors import Forbidden, NotFound, Unauthorized
from hedgerow.projects import Project, ProjectCatalog

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Caller:
    """An authenticated request: what it may see and in which organization it acts."""

    projects: set[int]
    organization_id: int
    user: User | None = None  # set for a session
    session: Session | None = None
    session_id: str | None = None
    key_hash: str | None = None  # set for a personal API key
    key_id: int | None = None
    key_label: str = ""
    whole_organization: bool = False  # a session, or a key made in the web app

    @property
    def actor(self) -> Actor:
        """How the audit log names the caller: the user, or the personal key."""
        if self.user is not None:
            return Actor.user(self.user.id, self.user.email)
        return Actor.key(self.key_id or 0, self.key_label)


def authenticate(request: Request, catalog: ProjectCatalog) -> Caller:
    header = request.headers.get("authorization", "")
    if header:
        return _by_key(header, catalog)
    found = session_of(request)
    users: UserStore | None = getattr(request.app.state, "users", None)
    user = users.by_id(found[1].user_id) if found and users else None
    if found is None or user is None:
        raise Unauthorized(
            "This endpoint needs a personal API key (`Authorization: Bearer <key>`) or a "
            "signed-in session: sign in at /login.",
            code="not_authenticated",
        )
    session_id, session = found
    check_csrf(request, session)
    projects = {p.id for p in catalog.in_organization(user.organization_id)}
    return Caller(
        projects, user.organization_id, user, session, session_id, whole_organization=True
    )


def audit(
    request: Request, caller: Caller, activity: str, scope: str, *args: Any, **kw: Any
) -> None:
    """Record in the audit log what `caller` did, in the caller's organization
    (`hedgerow.audit.AuditLog.record`: `item_id`, `project_id=` for a project's matter,
    the rest is the entry's detail)."""
    audit_as(request, caller.actor, caller.organization_id, activity, scope, *args, **kw)


def audit_as(
    request: Request, actor: Actor, organization_id: int, activity: str, *args: Any, **kw: Any
) -> None:
    """Record in the app's audit log (when it has one) what `actor` did."""
    log: AuditLog | None = getattr(request.app.state, "audit_log", None)
    if log is not None:
        log.record(actor, activity, *args, organization_id=organization_id, **kw)


def check_csrf(request: Request, session: Session) -> None:
    """Refuse a cookie-authenticated POST/PUT/PATCH/DELETE without the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise Forbidden(
            "A signed-in request that changes something needs the header `X-CSRFToken` set "
            "to the value of the `hedgerow_csrftoken` cookie.",
            code="csrf_failed",
        )


def _by_key(header: str, catalog: ProjectCatalog) -> Caller:
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized(
            "Send a personal API key as `Authorization: Bearer <key>`.",
            code="not_authenticated",
        )
    access = catalog.key_access(key.strip())
    if access is None:
        raise Unauthorized(
            "The personal API key is not valid (or was revoked). Use the key printed on first "
            "start, create one in Settings or with `hedgerow project key`.",
            code="authentication_failed",
        )
    return Caller(
        access.projects,
        access.organization_id,
        key_hash=access.key_hash,
        key_id=access.key_id,
        key_label=access.label,
        whole_organization=access.whole_organization,
    )


def allowed_projects(request: Request, catalog: ProjectCatalog) -> set[int]:
    return authenticate(request, catalog).projects


def project_for(request: Request, catalog: ProjectCatalog) -> Project:
    allowed = allowed_projects(request, catalog)
    raw = request.path_params.get("project_id", "")
    try:
        project_id = int(raw)
    except (TypeError, ValueError):
        raise NotFound(f"There is no project {raw!r}.") from None
    if not 0 < project_id < 2**63:  # ids are SQLite integers; larger ones name nothing
        raise NotFound(f"There is no project {raw!r}.")
    if project_id not in allowed:
        if catalog.by_id(project_id) is None:
            raise NotFound(f"There is no project {project_id}.")
        raise Forbidden(f"This key or account may not access project {project_id}.")
    project = catalog.by_id(project_id)
    if project is None:
        raise NotFound(f"There is no project {project_id}.")
    return project
