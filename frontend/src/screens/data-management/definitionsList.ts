// The definitions lists' state lives in the URL (`?search=&page=` and, for properties,
// `?type=event|person`), so a view can be shared; these pure functions read it and build
// the API path of one page.

import { NO_FILTERS, paramsFromFilters } from "../../lib/eventsFilters";

export const PAGE_SIZE = 50;
export type PropertyKind = "event" | "person";

export interface ListState {
  search: string;
  page: number;
  type: PropertyKind;
}

export function listState(params: URLSearchParams): ListState {
  const page = Number(params.get("page"));
  return {
    search: params.get("search")?.trim() ?? "",
    page: Number.isInteger(page) && page > 1 ? page : 1,
    type: params.get("type") === "person" ? "person" : "event",
  };
}

/** URL parameters of a state, defaults left out. */
export function listParams(state: ListState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.type !== "event") params.set("type", state.type);
  if (state.search) params.set("search", state.search);
  if (state.page > 1) params.set("page", String(state.page));
  return params;
}

/** The API path of one page: `event_definitions/?...` or `property_definitions/?type=...`. */
export function definitionsPath(kind: "events" | "properties", state: ListState): string {
  const params = new URLSearchParams();
  if (kind === "properties") params.set("type", state.type);
  if (state.search) params.set("search", state.search);
  params.set("limit", String(PAGE_SIZE));
  params.set("offset", String((state.page - 1) * PAGE_SIZE));
  const resource = kind === "events" ? "event_definitions" : "property_definitions";
  return `${resource}/?${params.toString()}`;
}

/** `/events` filtered to one event name. */
export function eventsLink(name: string): string {
  return "/events?" + paramsFromFilters({ ...NO_FILTERS, event: name }).toString();
}

/** "51–100 of 234" */
export function pageRange(page: number, shown: number, count: number): string {
  if (count === 0) return "0 of 0";
  const first = (page - 1) * PAGE_SIZE + 1;
  const format = (n: number) => n.toLocaleString("en");
  return `${format(first)}–${format(first + shown - 1)} of ${format(count)}`;
}
