import { describe, expect, it } from "vitest";

import type { PropertyFilter } from "../lib/types";
import { applyDashboardFilters, hasDashboardFilters, NO_DASHBOARD_FILTERS } from "./dashboardFilters";

const chrome: PropertyFilter = { key: "$browser", operator: "exact", type: "event", value: "Chrome" };
const pro: PropertyFilter = { key: "plan", operator: "exact", type: "person", value: "pro" };

const trends = {
  kind: "TrendsQuery",
  series: [{ kind: "EventsNode", event: "$pageview", math: "dau" }],
  interval: "day",
  dateRange: { date_from: "-30d", date_to: null },
  properties: [chrome],
};

describe("applyDashboardFilters", () => {
  it("returns the insight's own query when the dashboard sets no filter", () => {
    expect(applyDashboardFilters(trends, NO_DASHBOARD_FILTERS)).toBe(trends);
    expect(hasDashboardFilters(NO_DASHBOARD_FILTERS)).toBe(false);
  });

  it("replaces the insight's range with the dashboard's, up to now when it names no end", () => {
    const tile = applyDashboardFilters(trends, { date_from: "-7d", date_to: null, properties: [] });
    expect(tile.dateRange).toEqual({ date_from: "-7d", date_to: null });
    expect(tile.series).toBe(trends.series);
    expect(tile.properties).toEqual([chrome]);
    const fixed = applyDashboardFilters(
      { ...trends, dateRange: { date_from: "-90d", date_to: "-1d", explicitDate: true } },
      { date_from: "2026-11-01", date_to: "2026-11-30", properties: [] },
    );
    expect(fixed.dateRange).toEqual({ date_from: "2026-11-01", date_to: "2026-11-30" });
  });

  it("sets a range on a query that had none, and only the end when only the end is set", () => {
    const bare = { kind: "LifecycleQuery", series: [] };
    expect(applyDashboardFilters(bare, { ...NO_DASHBOARD_FILTERS, date_from: "-14d" })).toEqual({
      kind: "LifecycleQuery",
      series: [],
      dateRange: { date_from: "-14d", date_to: null },
    });
    const endOnly = applyDashboardFilters(trends, { ...NO_DASHBOARD_FILTERS, date_to: "2026-12-01" });
    expect(endOnly.dateRange).toEqual({ date_from: "-30d", date_to: "2026-12-01" });
  });

  it("adds the dashboard's property filters after the insight's own, leaving the range", () => {
    const tile = applyDashboardFilters(trends, { ...NO_DASHBOARD_FILTERS, properties: [pro] });
    expect(tile.properties).toEqual([chrome, pro]);
    expect(tile.dateRange).toBe(trends.dateRange);
    expect(trends.properties).toEqual([chrome]); // the insight's query is not changed
    const none = applyDashboardFilters({ kind: "FunnelsQuery" } as { kind: string; properties?: unknown[] }, { ...NO_DASHBOARD_FILTERS, properties: [pro] });
    expect(none.properties).toEqual([pro]);
  });

  it("keeps an OR group whole: the group and each dashboard filter must all hold", () => {
    const group = { type: "OR" as const, values: [chrome, pro] };
    const tile = applyDashboardFilters(
      { kind: "RetentionQuery", properties: group },
      { ...NO_DASHBOARD_FILTERS, properties: [pro] },
    );
    expect(tile.properties).toEqual({ type: "AND", values: [group, pro] });
  });

  it("leaves SQL insights as saved, and reaches into a wrapper node's source", () => {
    const sql = { kind: "HogQLQuery", query: "SELECT count() FROM events" };
    const filters = { date_from: "-7d", date_to: null, properties: [pro] };
    expect(applyDashboardFilters(sql, filters)).toBe(sql);
    const wrapped = applyDashboardFilters({ kind: "InsightVizNode", source: trends }, filters);
    expect(wrapped.source.dateRange).toEqual({ date_from: "-7d", date_to: null });
    expect(wrapped.source.properties).toEqual([chrome, pro]);
  });
});
