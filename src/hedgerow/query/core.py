"""What every query kind shares: where it runs, its parameters, and the pieces of SQL.

A runner gets a `QueryEnv` (the event store, the project and its time zone, the actions) and
builds its statement through a `Compiler`, which keeps values in parameters, reads
properties (from materialized columns when there are some), compiles filters, events and
actions, scopes everything to the project, and gives the person of each event after merges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hedgerow.errors import BadRequest
from hedgerow.query.actions import action_condition
from hedgerow.query.filters import PropertyReader, compile_filter_group
from hedgerow.query.sql import SqlParams
from hedgerow.store.events import EventStore, QueryResult, SettingValue
from hedgerow.store.schema import EFFECTIVE_PERSON_ID, EFFECTIVE_PERSON_KEY, PERSON_KEY


class ActionLookup(Protocol):
    def steps(self, team_id: int, action_id: int) -> tuple[str, list[dict[str, Any]]] | None:
        """The name and steps of an action of the project, or None."""
        ...


@dataclass(frozen=True)
class QueryEnv:
    store: EventStore
    team_id: int
    timezone: str = "UTC"
    actions: ActionLookup | None = None
    # The project's path cleaning rules, (regex, alias) in order (web analytics tables).
    path_cleaning: tuple[tuple[str, str], ...] = ()

    @property
    def tz(self) -> tzinfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


QueryRunner = Callable[[QueryEnv, dict[str, Any]], dict[str, Any]]


def person_source(store: EventStore, team_id: int) -> str:
    """The SQL of each event's person after merges.

    Merges waiting for their rewrite make the person come through the override map; with
    none pending (the usual case after a squash) the stored `person_id` is the effective one.
    Every query kind goes through here, so how the override map is read lives in one place.
    """
    return EFFECTIVE_PERSON_ID if store.override_count(team_id) else "person_id"


def person_key_source(store: EventStore, team_id: int) -> str:
    """The SQL of each event's person index after merges, for counting and grouping persons
    (one integer per person, cheaper to hash than its id; the map is one array read)."""
    return EFFECTIVE_PERSON_KEY if store.override_count(team_id) else PERSON_KEY


class Compiler:
    """Builds one statement: its parameters, conditions and the events table it reads."""

    def __init__(self, env: QueryEnv) -> None:
        self.env = env
        self.params = SqlParams()
        self.reader = PropertyReader(
            self.params, env.store.materialized_columns(), action=self.action
        )
        self._person_key: str | None = None
        self._action_names: dict[int, str] = {}

    # -- scope and persons -----------------------------------------------------------

    def team(self) -> str:
        return f"team_id = {self.params.integer(self.env.team_id)}"

    def person_key(self) -> str:
        """What identifies the effective person when persons are only counted or grouped."""
        if self._person_key is None:
            self._person_key = person_key_source(self.env.store, self.env.team_id)
        return self._person_key

    # -- conditions ------------------------------------------------------------------

    def filters(self, spec: Any) -> str | None:
        if not spec:
            return None
        return compile_filter_group(spec, self.reader)

    def between(self, start: datetime | None, end: datetime | None) -> list[str]:
        """Conditions on `timestamp` (inclusive bounds, UTC)."""
        parts = []
        if start is not None:
            parts.append(f"timestamp >= {self.timestamp(start)}")
        if end is not None:
            parts.append(f"timestamp <= {self.timestamp(end)}")
        return parts

    def timestamp(self, value: datetime) -> str:
        stamp = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return f"toDateTime64({self.params.string(stamp)}, 6, 'UTC')"

    def action(self, action_id: Any) -> str:
        """The condition of an action of this project (a 400 when there is none)."""
        found = self._lookup(action_id)
        return action_condition(found[1], self.reader)

    def action_name(self, action_id: Any) -> str:
        return self._lookup(action_id)[0]

    def _lookup(self, action_id: Any) -> tuple[str, list[dict[str, Any]]]:
        if isinstance(action_id, str) and action_id.isdigit():
            action_id = int(action_id)
        if not isinstance(action_id, int) or isinstance(action_id, bool):
            raise BadRequest(f"{action_id!r} is not an action id.", code="invalid_query")
        found = self.env.actions.steps(self.env.team_id, action_id) if self.env.actions else None
        if found is None:
            raise BadRequest(
                f"There is no action {action_id} in this project; list them at "
                f"/api/projects/{self.env.team_id}/actions/.",
                code="unknown_action",
            )
        return found

    def entity(self, node: Mapping[str, Any], where: str = "series") -> str:
        """The condition of an `EventsNode` (event name, or null for all events) or an
        `ActionsNode` (action `id`), with the node's own `properties`."""
        kind = node.get("kind", "EventsNode")
        parts: list[str] = []
        if kind == "EventsNode":
            event = node.get("event")
            if event is not None:
                if not isinstance(event, str):
                    raise BadRequest(f"A {where}'s `event` must be a name.", code="invalid_query")
                parts.append(f"event = {self.params.string(event)}")
        elif kind == "ActionsNode":
            parts.append(self.action(node.get("id")))
        else:
            raise BadRequest(
                f"A {where} is an EventsNode or an ActionsNode; got {kind!r}.",
                code="invalid_query",
            )
        properties = self.filters(node.get("properties"))
        if properties:
            parts.append(properties)
        return "(" + " AND ".join(parts) + ")" if parts else "1"

    def entity_name(self, node: Mapping[str, Any]) -> str:
        if node.get("kind") == "ActionsNode":
            return self.action_name(node.get("id"))
        event = node.get("event")
        return event if isinstance(event, str) else "All events"

    # -- running ---------------------------------------------------------------------

    def run(self, sql: str, settings: Mapping[str, SettingValue] | None = None) -> QueryResult:
        """Run the statement (with extra ClickHouse `settings`); a regular expression
        ClickHouse cannot compile is a 400 (checked first: ClickHouse compiles a regex only
        when some row reaches it)."""
        if self.reader.regexes:
            patterns, self.reader.regexes = self.reader.regexes, []
            check_regexes(self.env.store, patterns)
        return guarded_query(self.env.store, sql, self.params.values, settings)


def check_regexes(store: EventStore, patterns: list[str]) -> None:
    """A 400 `invalid_regex` for the first pattern ClickHouse's RE2 cannot compile."""
    for pattern in dict.fromkeys(patterns):
        check = SqlParams()
        guarded_query(store, f"SELECT match('', {check.string(pattern)})", check.values)


def guarded_query(
    store: EventStore,
    sql: str,
    values: dict[str, Any],
    settings: Mapping[str, SettingValue] | None = None,
) -> QueryResult:
    """Run a statement; the errors a user's input causes become 400s."""
    try:
        return store.query(sql, values, settings=settings)
    except RuntimeError as exc:
        message = str(exc)
        if "CANNOT_COMPILE_REGEXP" in message or "cannot compile re2" in message:
            detail = message.split("error: ", 1)[-1].split(". Look at", 1)[0]
            raise BadRequest(
                f"A regular expression is not valid ({detail}). Regexes use RE2 syntax: "
                "no look-arounds or back-references.",
                code="invalid_regex",
            ) from None
        if "Query tree is too big" in message or "AST is too deep" in message:
            raise BadRequest(
                "The query is too big for ClickHouse to plan; use fewer steps, series or "
                "nested filters.",
                code="query_too_expensive",
            ) from None
        raise


def node_list(query: Mapping[str, Any], what: str) -> list[dict[str, Any]]:
    series = query.get("series")
    if not isinstance(series, list) or not series:
        raise BadRequest(
            f"A {what} needs `series`: a list of EventsNode/ActionsNode objects.",
            code="invalid_query",
        )
    if not all(isinstance(node, dict) for node in series):
        raise BadRequest("Each item of `series` must be an object.", code="invalid_query")
    return series


def series_action(node: dict[str, Any], order: int, name: str, math: str) -> dict[str, Any]:
    """The `action` object of one series in an answer, as PostHog's insights describe it."""
    actions = node.get("kind") == "ActionsNode"
    return {
        "id": node.get("id") if actions else node.get("event"),
        "type": "actions" if actions else "events",
        "order": order,
        "name": name,
        "custom_name": node.get("custom_name"),
        "math": math,
        "properties": node.get("properties") or [],
    }
