"""`EventsQuery`: a list of events (or counts of them) with chosen columns and filters.

Select items: `*` (the whole event as an object), the columns `uuid`, `event`, `distinct_id`,
`person_id`, `timestamp`, `created_at`, `properties`, `elements_chain`, `person_properties`,
`properties.<key>`, `person.properties.<key>`, `count()` and `count(DISTINCT person_id)`.
With a count, the other items group the rows. `person_id` is the person after merges: an
override recorded for the event's distinct_id wins over the id stamped at ingestion.
`personId` keeps the events of one person, by that same effective person id.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from hedgerow.errors import BadRequest
from hedgerow.query.actions import action_condition
from hedgerow.query.core import Compiler, QueryEnv, person_source
from hedgerow.query.dates import resolve_date
from hedgerow.query.filters import PropertyReader, compile_filter_group
from hedgerow.store.events import EventStore
from hedgerow.store.schema import EVENT_STAR_COLUMNS, EVENTS_TABLE

DEFAULT_LIMIT = 100
# Reading in the sorting key's order, each part's stream buffers blocks ahead; for a top-N
# that ends in the newest day that read-ahead is most of the table (ClickHouse 26.9).
KEY_ORDER_SETTINGS = {"read_in_order_use_buffering": 0}
MAX_LIMIT = 10_000

Convert = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _json(value: Any) -> Any:
    if value in ("", None):
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value


def iso_timestamp(value: Any) -> Any:
    """ClickHouse's '2026-11-24 10:00:00.123456' as ISO 8601 with a Z."""
    if isinstance(value, str) and len(value) >= 19:
        return value.replace(" ", "T", 1) + "Z"
    return value


def _columns(person_sql: str) -> dict[str, tuple[str, Convert]]:
    """Selectable columns; `person_sql` is the stored `person_id`, or the effective one
    through the override join when merges wait for their rewrite."""
    return {
        "uuid": ("toString(uuid)", _identity),
        "event": ("event", _identity),
        "distinct_id": ("distinct_id", _identity),
        "person_id": (f"toString({person_sql})", _identity),
        "timestamp": ("timestamp", iso_timestamp),
        "created_at": ("created_at", iso_timestamp),
        "properties": ("properties", _json),
        "elements_chain": ("elements_chain", _identity),
        "person_properties": ("person_properties", _json),
        "person.properties": ("person_properties", _json),
        **{f"$group_{i}": (f"`$group_{i}`", _identity) for i in range(5)},
    }


_PLAIN_COLUMNS = _columns("person_id")

_STAR = EVENT_STAR_COLUMNS

_ORDER = re.compile(r"^\s*(.+?)(?:\s+(ASC|DESC))?\s*$", re.IGNORECASE)


@dataclass
class _Item:
    label: str
    sql: str
    convert: Convert
    aggregate: bool = False
    star: bool = False
    json_value: bool = False

    def order_keys(self, direction: str) -> list[str]:
        """JSON values sort numbers as numbers first, then everything else as text."""
        if self.json_value:
            numeric = f"toFloat64OrNull({self.sql}) {direction} NULLS LAST"
            return [numeric, f"{self.sql} {direction}"]
        return [f"{self.sql} {direction}"]


def _select_item(
    text: Any, reader: PropertyReader, columns: dict[str, tuple[str, Convert]], person_sql: str
) -> _Item:
    if not isinstance(text, str):
        raise BadRequest("Each `select` item must be a string.", code="invalid_query")
    item = text.strip()
    if item == "*":
        sql = "tuple(" + ", ".join(columns[c][0] for c in _STAR) + ")"
        return _Item(item, sql, _identity, star=True)
    if item in columns:
        sql, convert = columns[item]
        return _Item(item, sql, convert)
    if item == "count()":
        return _Item(item, "count()", _identity, aggregate=True)
    if item == "count(DISTINCT person_id)":
        return _Item(item, f"uniqExact({person_sql})", _identity, aggregate=True)
    for prefix, source in (("properties.", "event"), ("person.properties.", "person")):
        if item.startswith(prefix) and len(item) > len(prefix):
            return _Item(item, reader.raw(source, item[len(prefix) :]), _json, json_value=True)
    raise BadRequest(
        f"Cannot select {item!r}. Use '*', a column ({', '.join(columns)}), "
        "'properties.<key>', 'person.properties.<key>', 'count()' or "
        "'count(DISTINCT person_id)'.",
        code="invalid_query",
    )


def _star(row: Any) -> dict[str, Any]:
    values = dict(zip(_STAR, row, strict=True))
    for name in _STAR:
        values[name] = _PLAIN_COLUMNS[name][1](values[name])
    return values


def events_query_runner(env: QueryEnv, query: dict[str, Any]) -> dict[str, Any]:
    """The `EventsQuery` kind, with actions (`actionId`) and the project's time zone."""
    return run_events_query(env.store, env.team_id, query, env=env)


def run_events_query(
    store: EventStore,
    team_id: int,
    query: dict[str, Any],
    *,
    uuid: str | None = None,
    env: QueryEnv | None = None,
    action_steps: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`action_steps`: the steps of an unsaved action, matched as `actionId` matches a saved
    one (the action editor's preview)."""
    compiler = Compiler(env or QueryEnv(store, team_id))
    select = query.get("select") or ["*"]
    if not isinstance(select, list):
        raise BadRequest("`select` must be a list of strings.", code="invalid_query")
    person_sql, where = event_conditions(
        compiler,
        query,
        uuid=uuid,
        action_steps=action_steps,
        person_wanted=_mentions_person(select, query.get("orderBy")),
    )
    columns = _columns(person_sql)
    items = [_select_item(s, compiler.reader, columns, person_sql) for s in select]

    grouped = any(i.aggregate for i in items)
    group_by = [i.sql for i in items if not i.aggregate] if grouped else []
    order = _order_by(query.get("orderBy"), items, grouped, columns)
    in_key_order = not grouped and _time_first(order)
    if in_key_order:
        order = [f"toDate(timestamp) {order[0].split()[1]}", *order]
    limit = query.get("limit", DEFAULT_LIMIT)
    offset = query.get("offset", 0)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"`limit` must be an integer from 1 to {MAX_LIMIT}.", code="invalid_query")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise BadRequest("`offset` must be a non-negative integer.", code="invalid_query")

    sql = "SELECT " + ", ".join(i.sql for i in items)
    sql += f" FROM {EVENTS_TABLE}"
    sql += " WHERE " + " AND ".join(where)
    if group_by:
        sql += " GROUP BY " + ", ".join(group_by)
    if order:
        sql += " ORDER BY " + ", ".join(order)
    sql += f" LIMIT {limit + 1} OFFSET {offset}"
    result = compiler.run(sql, KEY_ORDER_SETTINGS if in_key_order else None)
    rows = result.rows[:limit]
    converted = [
        [_star(v) if i.star else i.convert(v) for i, v in zip(items, row, strict=True)]
        for row in rows
    ]
    return {
        "columns": [i.label for i in items],
        "types": result.types,
        "results": converted,
        "hasMore": len(result.rows) > limit,
        "limit": limit,
        "offset": offset,
    }


def event_conditions(
    compiler: Compiler,
    query: dict[str, Any],
    *,
    uuid: str | None = None,
    action_steps: list[dict[str, Any]] | None = None,
    person_wanted: bool = False,
) -> tuple[str, list[str]]:
    """The WHERE conditions of an `EventsQuery`'s filters (`event`, `actionId`, `personId`,
    `properties`, `after`, `before`) and the SQL of the effective person id: the override
    join when `person_wanted` or `personId` needs it, else the stored column."""
    store, team_id, params, reader = (
        compiler.env.store,
        compiler.env.team_id,
        compiler.params,
        compiler.reader,
    )
    person_sql = "person_id"
    person_id = _person_id(query.get("personId"))
    if person_id is not None or person_wanted:
        person_sql = person_source(store, team_id)
    where = [f"team_id = {params.integer(team_id)}"]
    if uuid is not None:
        where.append(f"uuid = toUUID({params.string(uuid)})")
    event = query.get("event")
    if event is not None:
        if not isinstance(event, str):
            raise BadRequest("`event` must be an event name.", code="invalid_query")
        where.append(f"event = {params.string(event)}")
    if query.get("actionId") is not None:
        where.append(compiler.action(query["actionId"]))
    if person_id is not None:
        where.append(f"{person_sql} = toUUID({params.string(person_id)})")
    if action_steps is not None:
        where.append(action_condition(action_steps, reader))
    properties = query.get("properties")
    if properties:
        where.append(compile_filter_group(properties, reader))
    for key, symbol in (("after", ">"), ("before", "<")):
        bound = resolve_date(query.get(key), tz=compiler.env.tz)
        if bound is not None:
            stamp = bound.strftime("%Y-%m-%d %H:%M:%S.%f")
            where.append(f"timestamp {symbol} toDateTime64({params.string(stamp)}, 6, 'UTC')")
    return person_sql, where


def _person_id(value: Any) -> str | None:
    """`personId`: only the events of this person (after merges), as a canonical UUID."""
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return str(uuidlib.UUID(value))
    except ValueError:
        pass
    raise BadRequest(
        f"`personId` must be a person id (a UUID); got {value!r}.", code="invalid_query"
    )


def _mentions_person(select: list[Any], order: Any) -> bool:
    wanted = {"*", "person_id", "count(DISTINCT person_id)"}
    entries = [*select, *(order if isinstance(order, list) else [])]
    return any(isinstance(e, str) and (e.strip() in wanted or "person_id" in e) for e in entries)


def _time_first(order: list[str]) -> bool:
    """Whether the rows are ordered by time first. Such a list is ordered as the table's
    sorting key is (the day, then the time: the same order), which lets ClickHouse read the
    newest (or oldest) days first and stop at the limit instead of reading every event's
    time; without read-ahead (`KEY_ORDER_SETTINGS`) it stops early indeed. /events over 10M
    events: docs/benchmarks.md."""
    return bool(order) and order[0] in ("timestamp ASC", "timestamp DESC")


def _order_by(
    spec: Any, items: list[_Item], grouped: bool, columns: dict[str, tuple[str, Convert]]
) -> list[str]:
    if spec is None:
        return [] if grouped else ["timestamp DESC"]
    if not isinstance(spec, list):
        raise BadRequest("`orderBy` must be a list like ['timestamp DESC'].", code="invalid_query")
    by_label = {i.label: i for i in items if not i.star}
    order = []
    for entry in spec:
        match = _ORDER.match(entry) if isinstance(entry, str) else None
        if not match:
            raise BadRequest(f"Cannot order by {entry!r}.", code="invalid_query")
        expr, direction = match.group(1), (match.group(2) or "ASC").upper()
        if expr in by_label:
            order.extend(by_label[expr].order_keys(direction))
        elif expr in columns and not grouped:
            order.append(f"{columns[expr][0]} {direction}")
        else:
            raise BadRequest(
                f"Cannot order by {expr!r}: order by a selected item or a column.",
                code="invalid_query",
            )
    return order
