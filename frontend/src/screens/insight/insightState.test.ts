import { describe, expect, it } from "vitest";

import { CUSTOM, presetOf, rangeLabel } from "./dateRange";
import { defaultQuery, funnelStepsWithin, queryFromSearch, runnableQuery, searchForQuery, switchKind } from "./insightState";
import type { TrendsQuery } from "../../insights/types";

describe("the insight in the address", () => {
  it("round-trips through ?q=", () => {
    const query = defaultQuery("FunnelsQuery");
    expect(queryFromSearch(new URLSearchParams(searchForQuery(query).slice(1)))).toEqual(query);
  });

  it("ignores what is not an insight query", () => {
    expect(queryFromSearch(new URLSearchParams("q=nope"))).toBeNull();
    expect(queryFromSearch(new URLSearchParams('q={"kind":"EventsQuery"}'))).toBeNull();
    expect(queryFromSearch(new URLSearchParams(""))).toBeNull();
  });

  it("leaves half-made filters, empty names and formulas out of what runs", () => {
    const query: TrendsQuery = {
      kind: "TrendsQuery",
      series: [
        {
          kind: "EventsNode",
          event: "a",
          custom_name: "",
          properties: [{ key: "", operator: "exact", type: "event", value: "" }],
        },
      ],
      properties: [
        { key: "", operator: "exact", type: "event" },
        { key: "plan", operator: "exact", type: "event", value: "pro" },
      ],
      breakdownFilter: { breakdown: "" },
      trendsFilter: { formulaNodes: [{ formula: " " }] },
    };
    expect(runnableQuery(query)).toEqual({
      kind: "TrendsQuery",
      series: [{ kind: "EventsNode", event: "a" }],
      properties: [{ key: "plan", operator: "exact", type: "event", value: "pro" }],
      trendsFilter: { formulaNodes: undefined },
    });
  });

  it("keeps series and date range across tabs, one series for lifecycle", () => {
    const trends: TrendsQuery = {
      kind: "TrendsQuery",
      series: [
        { kind: "EventsNode", event: "a" },
        { kind: "EventsNode", event: "b" },
      ],
      dateRange: { date_from: "-90d" },
    };
    const lifecycle = switchKind(trends, "LifecycleQuery");
    expect(lifecycle).toMatchObject({ series: [{ event: "a" }], dateRange: { date_from: "-90d" } });
    expect(switchKind(trends, "FunnelsQuery")).toMatchObject({ series: trends.series });
  });
});

describe("date ranges", () => {
  it("names presets, relative ranges from links, and custom dates", () => {
    expect(presetOf({ date_from: "-30d" })).toBe("-30d");
    expect(presetOf({ date_from: "2026-11-01", date_to: "2026-11-30" })).toBe(CUSTOM);
    expect(rangeLabel("-30d")).toBe("Last 30 days");
    expect(rangeLabel("-56d")).toBe("Last 56 days");
    expect(rangeLabel("-0mStart")).toBe("This month");
    expect(rangeLabel("-0yStart")).toBe("Year to date");
  });
});

describe("time to convert steps", () => {
  it("keeps the from and to steps within the funnel, from before to", () => {
    expect(funnelStepsWithin({ funnelFromStep: 2, funnelToStep: 3 }, 3)).toEqual({ funnelFromStep: 1, funnelToStep: 2 });
    expect(funnelStepsWithin({ funnelFromStep: 1 }, 2)).toEqual({ funnelFromStep: 0 });
    expect(funnelStepsWithin({ funnelToStep: 1, binCount: 5 }, 4)).toEqual({ funnelToStep: 1, binCount: 5 });
    expect(funnelStepsWithin({}, 3)).toEqual({});
  });
});
