import { describe, expect, it } from "vitest";

import {
  DEFAULT_STATE,
  DEFAULT_TABS,
  paramsFromState,
  parseFilter,
  stateFromParams,
  toggleFilter,
  withoutFilter,
  type WebState,
} from "./webState";

const params = (text: string) => new URLSearchParams(text);

describe("web state in the URL", () => {
  it("an empty URL is the default view, and the default view is an empty URL", () => {
    expect(stateFromParams(params(""))).toEqual(DEFAULT_STATE);
    expect(paramsFromState(DEFAULT_STATE).toString()).toBe("");
  });

  it("every part of the view goes to the URL and comes back the same", () => {
    const state: WebState = {
      dateFrom: "2026-11-01",
      dateTo: "2026-11-30",
      compare: false,
      host: "shop.example",
      pathCleaning: true,
      filters: [
        { type: "event", key: "$pathname", values: ["/a,b?c=1&d", "/"] },
        { type: "session", key: "$channel_type", values: null },
        { type: "session", key: "$entry_utm_source", values: [""] },
      ],
      tabs: { ...DEFAULT_TABS, pages: "ExitPage", geo: "City" },
    };
    const url = paramsFromState(state).toString();
    expect(stateFromParams(params(url))).toEqual(state);
    expect(url).toContain("compare=0");
    expect(url).toContain("pages=ExitPage");
    expect(url).not.toContain("sources=");
  });

  it("reads a hand-written link; values of one property are one filter", () => {
    const state = stateFromParams(
      params("from=-30d&f=event,$pathname,/pricing&f=session,$channel_type,Paid Search&f=event,$pathname,/"),
    );
    expect(state.dateFrom).toBe("-30d");
    expect(state.filters).toEqual([
      { type: "event", key: "$pathname", values: ["/pricing", "/"] },
      { type: "session", key: "$channel_type", values: ["Paid Search"] },
    ]);
  });

  it("drops what does not fit: unknown types, bad keys, the host as a filter, unknown tabs", () => {
    const state = stateFromParams(
      params("f=cohort,x,1&f=event,bad key,1&f=event&f=event,$host,a.example&f=event,$os,Mac&pages=Nope&devices=OS&geo=Page"),
    );
    expect(state.filters).toEqual([{ type: "event", key: "$os", values: ["Mac"] }]);
    expect(state.tabs).toEqual({ ...DEFAULT_TABS, devices: "OS" });
  });

  it("parses a value with commas whole, and a filter without a value as not set", () => {
    expect(parseFilter("event,$pathname,/a,b")).toEqual({ type: "event", key: "$pathname", value: "/a,b" });
    expect(parseFilter("person,email")).toEqual({ type: "person", key: "email", value: null });
    expect(parseFilter("nonsense")).toBeNull();
  });
});

describe("a click on a row", () => {
  const pricing = { type: "event" as const, key: "$pathname", value: "/pricing" };
  const france = { type: "event" as const, key: "$geoip_country_code", value: "FR" };

  it("adds a filter on a new property", () => {
    const state = toggleFilter(toggleFilter(DEFAULT_STATE, pricing), france);
    expect(state.filters).toEqual([
      { type: "event", key: "$pathname", values: ["/pricing"] },
      { type: "event", key: "$geoip_country_code", values: ["FR"] },
    ]);
  });

  it("adds another value of a filtered property, and a second click takes a value out", () => {
    const two = toggleFilter(toggleFilter(DEFAULT_STATE, pricing), { ...pricing, value: "/" });
    expect(two.filters).toEqual([{ type: "event", key: "$pathname", values: ["/pricing", "/"] }]);
    expect(toggleFilter(two, pricing).filters).toEqual([{ type: "event", key: "$pathname", values: ["/"] }]);
    expect(toggleFilter(toggleFilter(DEFAULT_STATE, france), france).filters).toEqual([]);
  });

  it("'not set' replaces values, a value replaces 'not set', and 'not set' twice is undone", () => {
    const none = { ...pricing, value: null };
    const notSet = toggleFilter(toggleFilter(DEFAULT_STATE, pricing), none);
    expect(notSet.filters).toEqual([{ type: "event", key: "$pathname", values: null }]);
    expect(toggleFilter(notSet, pricing).filters).toEqual([{ type: "event", key: "$pathname", values: ["/pricing"] }]);
    expect(toggleFilter(notSet, none).filters).toEqual([]);
  });

  it("the same key from another source is another filter", () => {
    const state = toggleFilter(toggleFilter(DEFAULT_STATE, pricing), { ...pricing, type: "session" });
    expect(state.filters).toHaveLength(2);
  });

  it("a chip's × removes its filter", () => {
    const state = toggleFilter(toggleFilter(DEFAULT_STATE, pricing), france);
    expect(withoutFilter(state, 0).filters).toEqual([{ type: "event", key: "$geoip_country_code", values: ["FR"] }]);
  });
});
