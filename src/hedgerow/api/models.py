"""Request and response models of the /api routes other than the query body.

Handlers validate what they read through these (`hedgerow.api.validation`) and build the
fixed-shape answers with them; `hedgerow.api.schema` turns the same classes into the
OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hedgerow.accounts.passwords import MAX_PASSWORD_LENGTH, password_problem
from hedgerow.accounts.users import MAX_EMAIL, email_problem, normalize_email
from hedgerow.api.query_models import enum, one_of
from hedgerow.persons.search import MAX_SEARCH
from hedgerow.projects import valid_timezone
from hedgerow.query.actions import MATCHING, STEP_FIELDS

MAX_ACTION_NAME = 400
MAX_ACTION_STEPS = 50
MAX_PROPERTY_KEY = 200
MAX_RETENTION_DAYS = 36_500
MAX_REDACTED = 100
MAX_PATH_CLEANING_RULES = 100
MAX_REGEX = 1000
MAX_SQLITE_INTEGER = 2**63 - 1  # ids and offsets reach SQLite, which stops here


class ErrorBody(BaseModel):
    """Every refusal: the HTTP status, a snake_case code, and what to do."""

    status: int
    code: str
    error: str


# -- requests ----------------------------------------------------------------------------


def _action_name(value: str) -> str:
    if not value.strip() or len(value) > MAX_ACTION_NAME:
        raise PydanticCustomError(
            "invalid_action",
            "An action needs a `name`: a non-empty string of at most {most} characters.",
            {"most": MAX_ACTION_NAME},
        )
    return value.strip()


def _project_name(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("invalid_project", "`name` must be a non-empty string.")
    return value


def _timezone(value: str) -> str:
    if not valid_timezone(value):
        raise PydanticCustomError(
            "invalid_timezone",
            "{zone} is not a time zone; use an IANA name like 'UTC' or 'America/New_York'.",
            {"zone": repr(value)},
        )
    return value


def _known_step_fields(value: Any) -> Any:
    unknown = sorted(set(value) - set(STEP_FIELDS)) if isinstance(value, dict) else []
    if unknown:
        raise PydanticCustomError(
            "invalid_action",
            "Unknown action step fields {unknown}; use {known}.",
            {"unknown": str(unknown), "known": ", ".join(STEP_FIELDS)},
        )
    return value


Matching = Annotated[
    str,
    AfterValidator(
        one_of(MATCHING, "invalid_action", "Matching is one of {allowed}; got {value}.")
    ),
    enum(MATCHING),
]
ActionName = Annotated[str, AfterValidator(_action_name), Field(max_length=MAX_ACTION_NAME)]


class ActionStep(BaseModel):
    """Any of: an event; a URL; for `$autocapture`, element text, href, selector, tag."""

    model_config = ConfigDict(extra="forbid")

    event: str | None = None
    properties: list[Any] | dict[str, Any] | None = None
    selector: str | None = None
    tag_name: str | None = None
    text: str | None = None
    text_matching: Matching | None = None
    href: str | None = None
    href_matching: Matching | None = None
    url: str | None = None
    url_matching: Matching | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, value: Any) -> Any:
        return _known_step_fields(value)


Steps = Annotated[list[ActionStep], Field(max_length=MAX_ACTION_STEPS)]


class ActionChanges(BaseModel):
    """PATCH: the fields to change (unknown fields are ignored)."""

    name: ActionName | None = None
    description: str | None = None
    steps: Steps | None = None
    deleted: bool | None = None


class ActionCreate(ActionChanges):
    """POST: a new action."""

    name: ActionName


class ActionPreviewBody(BaseModel):
    """POST actions/preview/: the steps of an action being edited, saved or not (other fields
    of an action, such as `name`, are ignored); `limit`: how many events to return."""

    steps: Steps
    limit: Annotated[int, Field(ge=1, le=100)] = 10


class PathCleaningRule(BaseModel):
    """A path cleaning rule: every match of `regex` (RE2) in a path becomes `alias`."""

    model_config = ConfigDict(extra="forbid")

    regex: str = Field(min_length=1, max_length=MAX_REGEX)
    alias: str = Field("", max_length=MAX_REGEX)


class ProjectChanges(BaseModel):
    """PATCH: `name` and/or `timezone` (an IANA name; trends count days on that clock)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, AfterValidator(_project_name)] | None = None
    timezone: Annotated[str, AfterValidator(_timezone)] | None = None
    retention_days: int | None = Field(
        None,
        ge=1,
        le=MAX_RETENTION_DAYS,
        description="Days events are kept (by their timestamp); null keeps them for ever",
    )
    redacted_properties: (
        list[Annotated[str, Field(min_length=1, max_length=MAX_PROPERTY_KEY)]] | None
    ) = Field(
        None,
        max_length=MAX_REDACTED,
        description="Property keys removed from every event and person at ingestion",
    )
    path_cleaning_filters: list[PathCleaningRule] | None = Field(
        None,
        max_length=MAX_PATH_CLEANING_RULES,
        description="Web analytics path cleaning rules, applied in order "
        "(WebStatsTableQuery's doPathCleaning)",
    )
    anonymize_ips: StrictBool | None = Field(
        None,
        description="Discard client IP data: `$ip` is dropped from events captured from now "
        "on, after GeoIP has read it",
    )
    cookieless_server_hash_mode: StrictInt | None = Field(
        None,
        ge=0,
        le=2,
        description="Events sent in cookieless mode: 0 dropped, 1 counted by a daily hash "
        "(stateless), 2 the same with 30-minute sessions and identify (stateful)",
    )


class MaterializeBody(BaseModel):
    property: str = Field(min_length=1, max_length=MAX_PROPERTY_KEY)


class PageParams(BaseModel):
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_SQLITE_INTEGER)


class PersonsParams(PageParams):
    distinct_id: str | None = Field(None, description="The person with this distinct id")
    search: str = Field(
        "",
        max_length=MAX_SEARCH,
        description="Persons whose id, a distinct id or a property value contains this "
        "(case-insensitive)",
    )


class DefinitionsParams(PageParams):
    search: str = Field("", description="A case-insensitive part of the name")


PROPERTY_TYPES = ("event", "person")


class PropertyDefinitionsParams(DefinitionsParams):
    type: Annotated[
        str,
        AfterValidator(
            one_of(PROPERTY_TYPES, "invalid_query", "`type` must be one of {allowed}; got {value}.")
        ),
        enum(PROPERTY_TYPES),
    ] = "event"


MAX_LABEL = 200


def _email(value: str) -> str:
    problem = email_problem(value)
    if problem:
        raise PydanticCustomError("invalid_email", "{problem}", {"problem": problem})
    return normalize_email(value)


def _new_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise PydanticCustomError("invalid_password", "{problem}", {"problem": problem})
    return value


Email = Annotated[str, AfterValidator(_email), Field(max_length=MAX_EMAIL)]
NewPassword = Annotated[str, AfterValidator(_new_password), Field(max_length=MAX_PASSWORD_LENGTH)]


class SignInBody(BaseModel):
    email: str = Field(max_length=MAX_EMAIL)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


class SetupBody(BaseModel):
    """The first user: the setup token of the start-up banner's link, an email, a password."""

    token: str = Field(max_length=200)
    email: Email
    password: NewPassword


class UserChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    set_current_team: int = Field(ge=1, le=MAX_SQLITE_INTEGER, description="A project id")


class PersonalKeyCreate(BaseModel):
    label: str = Field(min_length=1, max_length=MAX_LABEL)


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, AfterValidator(_project_name), Field(max_length=MAX_LABEL)]
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"


# -- responses ---------------------------------------------------------------------------


class ProjectOut(BaseModel):
    id: int
    name: str
    api_token: str
    timezone: str
    retention_days: int | None = None
    redacted_properties: list[str] = Field(default_factory=list)
    path_cleaning_filters: list[PathCleaningRule] = Field(default_factory=list)
    anonymize_ips: bool = False
    cookieless_server_hash_mode: Literal[0, 1, 2] = Field(
        0, description="0 off, 1 stateless, 2 stateful (cookieless counting)"
    )


class ProjectList(BaseModel):
    count: int
    results: list[ProjectOut]


class OrganizationOut(BaseModel):
    id: int
    name: str


class UserOut(BaseModel):
    """The caller: `email` is null for a personal API key; `team` is the current project."""

    email: str | None
    organization: OrganizationOut
    team: ProjectOut | None
    projects: list[ProjectOut]


class SignedIn(BaseModel):
    user: UserOut


class SignedOut(BaseModel):
    pass


class SetupStatus(BaseModel):
    needed: bool


class PersonalKeyOut(BaseModel):
    id: int
    label: str
    mask: str
    created_at: str


class PersonalKeyList(BaseModel):
    results: list[PersonalKeyOut]


class PersonalKeyCreated(PersonalKeyOut):
    """The new key: `value` is shown this once and never again."""

    value: str


class PersonOut(BaseModel):
    id: str
    uuid: str
    distinct_ids: list[str]
    properties: dict[str, Any]
    is_identified: bool
    created_at: str
    last_seen_at: str | None = Field(
        description="The time of the person's latest event (null: none stored)"
    )


class PersonList(BaseModel):
    results: list[PersonOut]
    next: str | None = Field(None, description="The address of the next page, null on the last one")


class ActionOut(BaseModel):
    id: int
    name: str
    description: str
    steps: list[dict[str, Any]]
    created_at: str
    updated_at: str
    deleted: bool


class Paged(BaseModel):
    count: int
    next: str | None
    previous: str | None


class ActionList(Paged):
    results: list[ActionOut]


class EventDefinition(BaseModel):
    id: str
    name: str
    volume: int
    first_seen_at: str | None
    last_seen_at: str | None
    created_at: str | None


class PropertyDefinition(BaseModel):
    id: str
    name: str
    type: Literal["event", "person"]
    property_type: str | None
    is_numerical: bool
    volume: int
    first_seen_at: str | None
    last_seen_at: str | None
    group_type_index: None


class EventDefinitionPage(Paged):
    results: list[EventDefinition]


class PropertyDefinitionPage(Paged):
    results: list[PropertyDefinition]


class MaterializedColumn(BaseModel):
    property: str
    column: str


class MaterializedList(BaseModel):
    results: list[MaterializedColumn]


class EventOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    uuid: str
    event: str
    distinct_id: str
    properties: dict[str, Any] | None
    timestamp: str
    person_id: str


class ActionPreview(BaseModel):
    """How many events the steps matched in the last 30 days; the newest of them first."""

    count: int
    results: list[EventOut]


class IngestionStatus(BaseModel):
    queued: int
    buffered: int
    buffer_delay_seconds: float
    buffered_oldest_age_seconds: float
    buffered_next_release_seconds: float | None
    received: int
    processed: int
    discarded: dict[str, int]
    lag_seconds: float
    person_overrides: int
    healthy: bool
    last_error: str | None


class QueryResult(BaseModel):
    """Every kind answers an object with `results`; EventsQuery and HogQLQuery add
    `columns`, `types`, `hasMore`, `limit`, `offset` (see docs/api.md, docs/queries.md).
    The insight kinds add the result cache's fields (docs/api.md#the-result-cache)."""

    model_config = ConfigDict(extra="allow")

    results: list[Any] | None = Field(description="null only for `cache_missing`")
    is_cached: bool | None = None
    last_refresh: str | None = Field(None, description="When the result was computed (ISO)")
    cache_key: str | None = None
    cache_missing: bool | None = Field(None, description="force_cache found nothing")
