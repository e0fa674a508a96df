import { describe, expect, it } from "vitest";

import {
  EVENT_LIST_SELECT,
  eventsQueryFromFilters,
  exportQueryFromParams,
  eventsQueryFromParams,
  filtersFromParams,
  paramsFromFilters,
  type EventFilters,
} from "./eventsFilters";

const FILTERS: EventFilters = {
  event: "Plan purchased",
  properties: [
    { key: "price", value: "1000", operator: "gt", type: "event" },
    { key: "email", operator: "is_set", type: "person" },
    { key: "text", value: "Purchase", operator: "exact", type: "element" },
  ],
  after: "-7d",
  before: "2026-11-24",
};

describe("URL parameters to EventsQuery", () => {
  it("runs the default query for an empty URL", () => {
    expect(eventsQueryFromParams(new URLSearchParams())).toEqual({
      kind: "EventsQuery",
      select: EVENT_LIST_SELECT,
      orderBy: ["timestamp DESC"],
      limit: 100,
    });
  });

  it("carries event, property filters and the date range", () => {
    const params = paramsFromFilters(FILTERS);
    expect(eventsQueryFromParams(params)).toEqual({
      kind: "EventsQuery",
      select: EVENT_LIST_SELECT,
      orderBy: ["timestamp DESC"],
      limit: 100,
      event: "Plan purchased",
      properties: FILTERS.properties,
      after: "-7d",
      before: "2026-11-24",
    });
  });

  it("round-trips filters through the URL and leaves defaults out", () => {
    const params = paramsFromFilters(FILTERS);
    expect(filtersFromParams(new URLSearchParams(params.toString()))).toEqual(FILTERS);
    const empty = { event: null, properties: [], after: null, before: null };
    expect(paramsFromFilters(empty).toString()).toBe("");
  });

  it("drops property filters that do not fit instead of failing", () => {
    const properties = JSON.stringify([
      { key: "ok", value: "1", operator: "exact" },
      { key: "", value: "x", operator: "exact" },
      { key: "bad", value: "x", operator: "drop_table" },
      { key: "kind", value: "x", type: "cohort" },
      { key: "novalue", operator: "exact" },
      "not an object",
    ]);
    const filters = filtersFromParams(new URLSearchParams({ properties }));
    expect(filters.properties).toEqual([{ key: "ok", value: "1", operator: "exact", type: "event" }]);
    expect(filtersFromParams(new URLSearchParams({ properties: "{oops" })).properties).toEqual([]);
  });

  it("uses a page cursor as the upper bound", () => {
    const query = eventsQueryFromFilters(FILTERS, { before: "2026-11-20T10:00:00.000001Z" });
    expect(query.before).toBe("2026-11-20T10:00:00.000001Z");
    expect(query.after).toBe("-7d");
  });

  it("keeps a person's events with the filters and every page", () => {
    const scope = { personId: "0190a1b2-0c3d-7e4f-8a9b-0c1d2e3f4a5b" };
    const first = eventsQueryFromFilters(FILTERS, {}, scope);
    expect(first.personId).toBe(scope.personId);
    expect(first.event).toBe("Plan purchased");
    const older = eventsQueryFromFilters(FILTERS, { before: "2026-11-20T10:00:00Z" }, scope);
    expect(older.personId).toBe(scope.personId);
    expect(eventsQueryFromFilters(FILTERS).personId).toBeUndefined();
  });
});

describe("exportQueryFromParams", () => {
  it("keeps the filters and no page", () => {
    const params = new URLSearchParams({ event: "signed up", after: "-7d" });
    expect(exportQueryFromParams(params)).toEqual({ kind: "EventsQuery", event: "signed up", after: "-7d" });
  });
});
