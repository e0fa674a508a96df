// The filters of an event list live in the URL so a view can be shared:
//   ?event=<name>&properties=<JSON list of property filters>&after=<date>&before=<date>
// Defaults are left out. These pure functions turn URL parameters into filters and
// filters into the EventsQuery the API runs.

import { OPERATORS, type EventsQuery, type FilterType, type Operator, type PropertyFilter } from "./types";

export interface EventFilters {
  event: string | null;
  properties: PropertyFilter[];
  after: string | null;
  before: string | null;
}

/** Whose events a list shows: everyone's, or one person's (by person id). */
export interface EventScope {
  personId?: string;
}

export const NO_FILTERS: EventFilters = { event: null, properties: [], after: null, before: null };

/** What the events list selects: the whole event, and the person's display fields. */
export const EVENT_LIST_SELECT = ["*", "person.properties.email", "person.properties.name"];
export const PAGE_SIZE = 100;

const FILTER_TYPES: FilterType[] = ["event", "person", "element"];
/** Operators that take no value. */
export const VALUELESS: Operator[] = ["is_set", "is_not_set"];

function scalar(value: unknown): value is string | number | boolean {
  return ["string", "number", "boolean"].includes(typeof value);
}

/** One property filter from untrusted JSON, or null when it does not fit. */
export function parsePropertyFilter(raw: unknown): PropertyFilter | null {
  if (typeof raw !== "object" || raw === null) return null;
  const spec = raw as Record<string, unknown>;
  if (typeof spec.key !== "string" || spec.key === "") return null;
  const operator = (spec.operator ?? "exact") as Operator;
  const type = (spec.type ?? "event") as FilterType;
  if (!OPERATORS.includes(operator) || !FILTER_TYPES.includes(type)) return null;
  const filter: PropertyFilter = { key: spec.key, operator, type };
  if (VALUELESS.includes(operator)) return filter;
  const value = spec.value;
  if (scalar(value)) filter.value = value;
  else if (Array.isArray(value) && value.length > 0 && value.every(scalar)) filter.value = value;
  else return null;
  return filter;
}

function nonEmpty(value: string | null): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

export function filtersFromParams(params: URLSearchParams): EventFilters {
  let properties: PropertyFilter[] = [];
  const rawProperties = params.get("properties");
  if (rawProperties) {
    try {
      const parsed: unknown = JSON.parse(rawProperties);
      if (Array.isArray(parsed)) {
        properties = parsed
          .map(parsePropertyFilter)
          .filter((f): f is PropertyFilter => f !== null);
      }
    } catch {
      properties = [];
    }
  }
  return {
    event: nonEmpty(params.get("event")),
    properties,
    after: nonEmpty(params.get("after")),
    before: nonEmpty(params.get("before")),
  };
}

export function paramsFromFilters(filters: EventFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.event) params.set("event", filters.event);
  if (filters.properties.length > 0) params.set("properties", JSON.stringify(filters.properties));
  if (filters.after) params.set("after", filters.after);
  if (filters.before) params.set("before", filters.before);
  return params;
}

export function eventsQueryFromFilters(
  filters: EventFilters,
  page: { before?: string; limit?: number } = {},
  scope: EventScope = {},
): EventsQuery {
  const query: EventsQuery = {
    kind: "EventsQuery",
    select: EVENT_LIST_SELECT,
    orderBy: ["timestamp DESC"],
    limit: page.limit ?? PAGE_SIZE,
  };
  if (scope.personId) query.personId = scope.personId;
  if (filters.event) query.event = filters.event;
  if (filters.properties.length > 0) query.properties = filters.properties;
  if (filters.after) query.after = filters.after;
  // A page cursor is older than the filter's own upper bound, so it replaces it.
  const before = page.before ?? filters.before;
  if (before) query.before = before;
  return query;
}

/** The EventsQuery of the event list for the given URL parameters. */
export function eventsQueryFromParams(params: URLSearchParams): EventsQuery {
  return eventsQueryFromFilters(filtersFromParams(params));
}

/** The export of the activity view: every event the URL's filters keep (no page, no limit). */
export function exportQueryFromParams(params: URLSearchParams): Omit<EventsQuery, "select"> {
  const filters = filtersFromParams(params);
  const query: Omit<EventsQuery, "select"> = { kind: "EventsQuery" };
  if (filters.event) query.event = filters.event;
  if (filters.properties.length > 0) query.properties = filters.properties;
  if (filters.after) query.after = filters.after;
  if (filters.before) query.before = filters.before;
  return query;
}
