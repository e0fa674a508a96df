"""Sign-in, sign-out, the first user's setup and the caller (`/api/users/@me/`).

Sign-in and setup answer like each other: `{"user": ...}` and the two session cookies
(`hedgerow.accounts.sessions`). Failed sign-ins are counted per email and client IP
(`hedgerow.accounts.throttle`); password checks run in a thread, as they take ~0.1 s of CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import orjson
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hedgerow.accounts.passwords import check_password, hash_password, needs_rehash
from hedgerow.accounts.sessions import (
    SESSION_COOKIE,
    SessionStore,
    clear_session_cookies,
    session_of,
    set_session_cookies,
)
from hedgerow.accounts.throttle import SignInThrottle
from hedgerow.accounts.users import User, UserExists, UserStore, normalize_email
from hedgerow.api.auth import Caller, audit_as, authenticate, check_csrf
from hedgerow.api.models import (
    OrganizationOut,
    PathCleaningRule,
    ProjectOut,
    SetupBody,
    SetupStatus,
    SignedIn,
    SignedOut,
    SignInBody,
    UserChanges,
    UserOut,
)
from hedgerow.api.validation import body_of
from hedgerow.audit import Actor
from hedgerow.errors import Forbidden, NotFound, TooManyRequests, Unauthorized
from hedgerow.projects import DEFAULT_ORGANIZATION, Project, ProjectCatalog


def json_answer(body: BaseModel, status: int = 200) -> Response:
    content = orjson.dumps(body.model_dump(mode="json"))
    return Response(content, status_code=status, media_type="application/json")


def project_out(project: Project) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        name=project.name,
        api_token=project.token,
        timezone=project.timezone,
        retention_days=project.retention_days,
        redacted_properties=list(project.redacted_properties),
        path_cleaning_filters=[
            PathCleaningRule(regex=regex, alias=alias)
            for regex, alias in project.path_cleaning_filters
        ],
        anonymize_ips=project.anonymize_ips,
        cookieless_server_hash_mode=_hash_mode(project.cookieless_server_hash_mode),
    )


def _hash_mode(value: int) -> Literal[0, 1, 2]:
    return 2 if value == 2 else 1 if value == 1 else 0


def user_actor(user: User) -> Actor:
    return Actor.user(user.id, user.email)


def client_ip(request: Request, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else ""


def session_required() -> Forbidden:
    return Forbidden(
        "This needs a signed-in session (the web app), not a personal API key.",
        code="session_required",
    )


@dataclass
class AccountsApi:
    catalog: ProjectCatalog
    users: UserStore
    sessions: SessionStore
    throttle: SignInThrottle
    secure_cookies: bool = False
    trust_forwarded_for: bool = False

    def user_out(self, caller: Caller) -> UserOut:
        projects = sorted(
            (p for p in self.catalog.all() if p.id in caller.projects), key=lambda p: p.id
        )
        current = caller.user.current_project_id if caller.user else None
        team = next((p for p in projects if p.id == current), projects[0] if projects else None)
        organization = self.catalog.organization(caller.organization_id)
        return UserOut(
            email=caller.user.email if caller.user else None,
            organization=OrganizationOut(
                id=caller.organization_id,
                name=organization.name if organization else "",
            ),
            team=project_out(team) if team else None,
            projects=[project_out(p) for p in projects],
        )

    def _sign_in(self, request: Request, user: User) -> Response:
        earlier = request.cookies.get(SESSION_COOKIE)
        if earlier:  # never keep a session id the browser had before signing in
            self.sessions.end(earlier)
        session_id, session = self.sessions.create(user.id)
        projects = {p.id for p in self.catalog.in_organization(user.organization_id)}
        caller = Caller(projects, user.organization_id, user, session, session_id)
        response = json_answer(SignedIn(user=self.user_out(caller)))
        set_session_cookies(
            response,
            session_id,
            session,
            lifetime=self.sessions.lifetime,
            secure=self.secure_cookies,
        )
        return response

    async def login(self, request: Request) -> Response:
        body = await body_of(
            request, SignInBody, code="invalid_sign_in", hint='Send {"email", "password"}.'
        )
        email, ip = normalize_email(body.email), client_ip(request, self.trust_forwarded_for)
        wait = self.throttle.attempt(email, ip)
        if wait is not None:
            raise TooManyRequests(
                "Too many failed sign-ins for this email or from this address; "
                f"try again in {math.ceil(wait)} seconds.",
                code="too_many_sign_in_attempts",
                retry_after=max(1, math.ceil(wait)),
            )
        found = self.users.with_password(email)
        stored = found[1] if found else None
        # Checked even for an unknown email (against a dummy hash): the same time either way.
        matches = await run_in_threadpool(check_password, stored, body.password)
        if found is None or not matches:
            self._failed(request, email, found[0] if found else None, ip)
            raise Unauthorized("Wrong email or password.", code="invalid_credentials")
        self.throttle.succeeded(email, ip)
        user, stored_hash = found
        audit_as(
            request, user_actor(user), user.organization_id, "signed_in", "User", user.id, ip=ip
        )
        if needs_rehash(stored_hash):
            new_hash = await run_in_threadpool(hash_password, body.password)
            self.users.set_password(user.email, new_hash)
        return self._sign_in(request, user)

    def _failed(self, request: Request, email: str, user: User | None, ip: str) -> None:
        """Record a failed sign-in: the email tried and the address, never the password."""
        organization = user.organization_id if user else DEFAULT_ORGANIZATION
        reason = "unknown_email" if user is None else "wrong_password"
        actor = Actor("anonymous", None, email)
        item = user.id if user else None
        audit_as(request, actor, organization, "sign_in_failed", "User", item, reason=reason, ip=ip)

    async def logout(self, request: Request) -> Response:
        """End the session (if any) on the server and clear both cookies; a session ended is
        recorded (`signed_out`), a request without one records nothing."""
        found = session_of(request)
        if found is not None and not request.headers.get("authorization"):
            check_csrf(request, found[1])
            self.sessions.end(found[0])
            user = self.users.by_id(found[1].user_id)
            if user is not None:
                ip = client_ip(request, self.trust_forwarded_for)
                actor, organization = user_actor(user), user.organization_id
                audit_as(request, actor, organization, "signed_out", "User", user.id, ip=ip)
        response = json_answer(SignedOut())
        clear_session_cookies(response, secure=self.secure_cookies)
        return response

    async def me(self, request: Request) -> Response:
        caller = authenticate(request, self.catalog)
        if request.method == "PATCH":
            if caller.user is None:
                raise session_required()
            changes = await body_of(
                request, UserChanges, code="invalid_user", hint='Send {"set_current_team": id}.'
            )
            if changes.set_current_team not in caller.projects:
                raise NotFound(f"There is no project {changes.set_current_team} for you.")
            self.users.set_current_project(caller.user.id, changes.set_current_team)
            user = self.users.by_id(caller.user.id)
            caller = Caller(caller.projects, caller.organization_id, user, caller.session)
        response = json_answer(self.user_out(caller))
        if caller.session is not None and caller.session_id and request.method == "GET":
            # The web app asks this at every load: the cookies last as long as the session.
            set_session_cookies(
                response,
                caller.session_id,
                caller.session,
                lifetime=self.sessions.lifetime,
                secure=self.secure_cookies,
            )
        return response

    async def setup(self, request: Request) -> Response:
        """GET: whether the first user is still to be created. POST: create it, signed in."""
        if request.method == "GET":
            return json_answer(SetupStatus(needed=self.users.count() == 0))
        body = await body_of(
            request, SetupBody, code="invalid_setup", hint='Send {"token", "email", "password"}.'
        )
        if self.users.count() > 0:
            raise Forbidden(
                "This server is set up already: sign in at /login.", code="already_set_up"
            )
        if not self.users.use_setup_token(body.token):
            raise Forbidden(
                "The setup link is not valid (or was used). Use the link printed by the last "
                "start of the server, or create a user with `hedgerow users add`.",
                code="invalid_setup_token",
            )
        password_hash = await run_in_threadpool(hash_password, body.password)
        try:
            user = self.users.create(body.email, password_hash, DEFAULT_ORGANIZATION)
        except UserExists:
            raise Forbidden("This server is set up already.", code="already_set_up") from None
        audit_as(request, user_actor(user), user.organization_id, "user_created", "User", user.id)
        return self._sign_in(request, user)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/login/", self.login, methods=["POST"]),
            Route("/api/logout/", self.logout, methods=["POST"]),
            Route("/api/users/@me/", self.me, methods=["GET", "PATCH"]),
            Route("/api/setup/", self.setup, methods=["GET", "POST"]),
        ]
