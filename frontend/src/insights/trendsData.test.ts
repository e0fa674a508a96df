import { describe, expect, it } from "vitest";

import { boldNumber, trendsModel } from "./trendsData";
import type { TrendsQuery, TrendsResponse, TrendsResult } from "./types";

const days = ["2026-11-01", "2026-11-02", "2026-11-03"];

function result(part: Partial<TrendsResult>): TrendsResult {
  return { label: "$pageview", count: 6, data: [1, 2, 3], days, labels: days, action: { order: 0 }, ...part };
}

const query: TrendsQuery = { kind: "TrendsQuery", series: [{ kind: "EventsNode", event: "$pageview" }] };

describe("trendsModel", () => {
  it("has one series per result with day labels and the persons' days", () => {
    const model = trendsModel(query, { results: [result({})] });
    expect(model.categories).toEqual(["Nov 1", "Nov 2", "Nov 3"]);
    expect(model.series).toHaveLength(1);
    expect(model.series[0]).toMatchObject({ name: "$pageview", type: "line", data: [1, 2, 3], days });
  });

  it("sums for the cumulative line, which has no persons per point", () => {
    const cumulative = { ...query, trendsFilter: { display: "ActionsLineGraphCumulative" as const } };
    const model = trendsModel(cumulative, { results: [result({})] });
    expect(model.series[0]?.data).toEqual([1, 3, 6]);
    expect(model.series[0]?.days).toBeNull();
  });

  it("stacks bars and names breakdowns, with the previous period dashed in the same colour", () => {
    const stacked = { ...query, trendsFilter: { display: "ActionsStackedBar" as const } };
    const response: TrendsResponse = {
      results: [
        result({ breakdown_value: "Chrome", label: "Chrome", compare_label: "current", compare: true }),
        result({ breakdown_value: "$$_posthog_breakdown_null_$$", label: "None", compare_label: "current" }),
        result({ breakdown_value: "Chrome", label: "Chrome", compare_label: "previous" }),
      ],
    };
    const model = trendsModel(stacked, response);
    expect(model.series.map((s) => s.name)).toEqual([
      "Chrome",
      "None",
      "Chrome (previous period)",
    ]);
    expect(model.series.map((s) => s.type)).toEqual(["bar", "bar", "bar"]);
    expect(model.series[0]?.stack).toBe("current");
    expect(model.series[2]?.stack).toBe("previous");
    expect(model.series[2]?.dashed).toBe(true);
    expect(model.series[2]?.color).toBe(model.series[0]?.color);
    expect(model.series[1]?.color).not.toBe(model.series[0]?.color);
    expect(model.series[2]?.key).toEqual({ series: 0, breakdown: "Chrome", compare: "previous" });
  });

  it("has no persons for formulas", () => {
    const formula = { ...query, trendsFilter: { formulaNodes: [{ formula: "A*2" }] } };
    expect(trendsModel(formula, { results: [result({ action: null })] }).series[0]?.days).toBeNull();
  });
});

describe("boldNumber", () => {
  it("gives the change against the previous period", () => {
    const response: TrendsResponse = {
      results: [
        result({ aggregated_value: 150, compare_label: "current" }),
        result({ aggregated_value: 100, compare_label: "previous" }),
      ],
    };
    expect(boldNumber(response)).toEqual({ value: 150, previous: 100, change: 50 });
    expect(boldNumber({ results: [result({ aggregated_value: 7 })] })).toEqual({
      value: 7,
      previous: null,
      change: null,
    });
  });
});
