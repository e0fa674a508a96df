import { describe, expect, it } from "vitest";

import { filtersFromParams } from "../../lib/eventsFilters";
import { definitionsPath, eventsLink, listParams, listState, pageRange } from "./definitionsList";

describe("definitions list state", () => {
  it("reads the URL with defaults and ignores nonsense", () => {
    expect(listState(new URLSearchParams(""))).toEqual({ search: "", page: 1, type: "event" });
    expect(listState(new URLSearchParams("search=+plan+&page=3&type=person"))).toEqual({
      search: "plan",
      page: 3,
      type: "person",
    });
    expect(listState(new URLSearchParams("page=-2&type=group")).page).toBe(1);
    expect(listState(new URLSearchParams("page=1.5&type=group")).type).toBe("event");
  });

  it("writes only what differs from the defaults", () => {
    expect(listParams({ search: "", page: 1, type: "event" }).toString()).toBe("");
    expect(listParams({ search: "a&b", page: 2, type: "person" }).toString()).toBe(
      "type=person&search=a%26b&page=2",
    );
  });

  it("builds the API path of a page", () => {
    expect(definitionsPath("events", { search: "", page: 1, type: "event" })).toBe(
      "event_definitions/?limit=50&offset=0",
    );
    expect(definitionsPath("properties", { search: "$b&x", page: 3, type: "person" })).toBe(
      "property_definitions/?type=person&search=%24b%26x&limit=50&offset=100",
    );
  });

  it("links an event name to /events filtered to it, as that screen reads it", () => {
    const name = "<img src=x onerror=alert(1)> & co";
    const link = eventsLink(name);
    expect(link.startsWith("/events?event=")).toBe(true);
    const params = new URLSearchParams(link.slice("/events?".length));
    expect(filtersFromParams(params).event).toBe(name);
  });

  it("says which rows a page shows", () => {
    expect(pageRange(1, 50, 234)).toBe("1–50 of 234");
    expect(pageRange(5, 34, 234)).toBe("201–234 of 234");
    expect(pageRange(1, 0, 0)).toBe("0 of 0");
  });
});
