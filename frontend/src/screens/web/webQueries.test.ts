import { describe, expect, it } from "vitest";

import { DEFAULT_STATE, type WebState } from "./webState";
import {
  chartFilters,
  hogqlString,
  intervalFor,
  liveQuery,
  overviewQuery,
  pageProperties,
  tableQuery,
  visitorsTrendQuery,
} from "./webQueries";

const filtered: WebState = {
  ...DEFAULT_STATE,
  dateFrom: "-30d",
  host: "shop.example",
  filters: [
    { type: "event", key: "$pathname", values: ["/pricing"] },
    { type: "session", key: "$entry_utm_source", values: null },
    { type: "event", key: "$os", values: ["iOS", "Android"] },
  ],
};

const PROPERTIES = [
  { type: "event", key: "$pathname", operator: "exact", value: "/pricing" },
  { type: "session", key: "$entry_utm_source", operator: "is_not_set" },
  { type: "event", key: "$os", operator: "exact", value: ["iOS", "Android"] },
  { type: "event", key: "$host", operator: "exact", value: "shop.example" },
];

describe("the queries of /web", () => {
  it("the page's filters and host are every query's properties", () => {
    expect(pageProperties(filtered)).toEqual(PROPERTIES);
    expect(pageProperties(DEFAULT_STATE)).toEqual([]);
  });

  it("tiles: WebOverviewQuery", () => {
    expect(overviewQuery(filtered)).toEqual({
      kind: "WebOverviewQuery",
      dateRange: { date_from: "-30d" },
      properties: PROPERTIES,
      compareFilter: { compare: true },
    });
    expect(overviewQuery({ ...DEFAULT_STATE, dateFrom: "2026-11-01", dateTo: "2026-11-30", compare: false })).toEqual({
      kind: "WebOverviewQuery",
      dateRange: { date_from: "2026-11-01", date_to: "2026-11-30" },
      properties: [],
      compareFilter: { compare: false },
    });
  });

  it("tables: WebStatsTableQuery, bounce rate for pages, every country for the map", () => {
    expect(tableQuery(filtered, "Page")).toEqual({
      kind: "WebStatsTableQuery",
      breakdownBy: "Page",
      dateRange: { date_from: "-30d" },
      properties: PROPERTIES,
      compareFilter: { compare: true },
      includeBounceRate: true,
      doPathCleaning: false,
      limit: 10,
    });
    expect(tableQuery({ ...filtered, pathCleaning: true }, "Page")).toMatchObject({ doPathCleaning: true });
    expect(tableQuery(DEFAULT_STATE, "InitialPage")).toMatchObject({ includeBounceRate: true });
    expect(tableQuery(DEFAULT_STATE, "Browser")).toMatchObject({ includeBounceRate: false, limit: 10 });
    expect(tableQuery(DEFAULT_STATE, "Country")).toMatchObject({ limit: 300 });
  });

  it("with path cleaning on, path filters compare cleaned paths", () => {
    const cleaned = pageProperties({ ...filtered, pathCleaning: true });
    expect(cleaned[0]).toEqual({ type: "event", key: "$pathname", operator: "is_cleaned_path_exact", value: "/pricing" });
    expect(cleaned.slice(1)).toEqual(PROPERTIES.slice(1));
    expect(tableQuery({ ...filtered, pathCleaning: true }, "Page")).toMatchObject({ properties: cleaned });
  });

  it("visitors over time: daily unique visitors of page views, bots left out", () => {
    expect(visitorsTrendQuery(filtered)).toEqual({
      kind: "TrendsQuery",
      series: [{ kind: "EventsNode", event: "$pageview", math: "dau", custom_name: "Visitors" }],
      interval: "day",
      dateRange: { date_from: "-30d" },
      // Session filters too: TrendsQuery keeps the events of the sessions that match.
      properties: [
        PROPERTIES[0],
        PROPERTIES[1],
        PROPERTIES[2],
        PROPERTIES[3],
        { type: "event", key: "$virt_is_bot", operator: "is_not", value: "true" },
      ],
      compareFilter: { compare: true },
      trendsFilter: { display: "ActionsLineGraph" },
    });
  });

  it("the chart applies every filter but cleaned paths, and says which it leaves out", () => {
    expect(chartFilters(filtered).skipped).toEqual([]);
    const cleaned = chartFilters({ ...filtered, pathCleaning: true });
    expect(cleaned.skipped).toEqual([filtered.filters[0]]);
    expect(cleaned.applied).toEqual([filtered.filters[1], filtered.filters[2]]);
  });

  it("the interval follows the range", () => {
    const now = Date.parse("2026-12-07T12:00:00Z");
    expect(intervalFor("-24h", null, now)).toBe("hour");
    expect(intervalFor("-7d", null, now)).toBe("day");
    expect(intervalFor("-90d", null, now)).toBe("day");
    expect(intervalFor("-180d", null, now)).toBe("week");
    expect(intervalFor("-12m", null, now)).toBe("week");
    expect(intervalFor("-2y", null, now)).toBe("month");
    expect(intervalFor("all", null, now)).toBe("month");
    expect(intervalFor("2026-12-06", "2026-12-06", now)).toBe("hour");
    expect(intervalFor("2026-10-01", "2026-11-30", now)).toBe("day");
    expect(intervalFor("2025-01-01", null, now)).toBe("month");
    expect(intervalFor("-14d", "-7d", now)).toBe("day");
  });

  it("live: the host is a quoted literal, whatever it holds", () => {
    expect(hogqlString("a'b\\c")).toBe("'a\\'b\\\\c'");
    const query = liveQuery("x' OR 1=1 --") as { kind: string; query: string };
    expect(query.kind).toBe("HogQLQuery");
    expect(query.query).toContain("properties.$host = 'x\\' OR 1=1 --'");
    expect(query.query).toContain("INTERVAL 5 MINUTE");
    expect((liveQuery(null) as { query: string }).query).not.toContain("$host");
  });
});
