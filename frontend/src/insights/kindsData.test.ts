import { describe, expect, it } from "vitest";

import { funnelActors, pointActors, retentionActors } from "./actorsSource";
import { funnelBreakdowns, funnelModel } from "./funnelData";
import { lifecycleModel, stickinessModel } from "./kindsData";
import { sankeyModel, splitNode } from "./pathsData";
import { cellShade, cohortGroups, contrast, shadeLuminance } from "./retentionData";
import type { FunnelStep, LifecycleQuery, RetentionQuery, StickinessQuery } from "./types";

const lifecycle: LifecycleQuery = {
  kind: "LifecycleQuery",
  series: [{ kind: "EventsNode", event: "$pageview" }],
  interval: "week",
};

describe("lifecycleModel", () => {
  it("stacks new, returning, resurrecting, dormant in that order, whatever the answer's order", () => {
    const days = ["2026-11-01", "2026-11-08"];
    const row = (status: "new" | "returning" | "resurrecting" | "dormant", data: number[]) => ({
      status, label: status, data, days, labels: days, count: 0,
    });
    const model = lifecycleModel(lifecycle, {
      results: [row("dormant", [-2, -1]), row("new", [3, 1]), row("resurrecting", [0, 1]), row("returning", [4, 4])],
    });
    expect(model.series.map((s) => s.name)).toEqual(["New", "Returning", "Resurrecting", "Dormant"]);
    expect(model.series[3]?.data).toEqual([-2, -1]);
    expect(new Set(model.series.map((s) => s.stack))).toEqual(new Set(["lifecycle"]));
    expect(model.categories).toEqual(["Nov 1", "Nov 8"]);
    const point = model.series[3];
    expect(pointActors(lifecycle, point!.key, point!.days![1])).toEqual({
      kind: "InsightActorsQuery", source: lifecycle, day: "2026-11-08", status: "dormant",
    });
  });
});

describe("stickinessModel", () => {
  it("draws bars over '1 day', '2 days' and a bar's persons are its number of intervals", () => {
    const query: StickinessQuery = { kind: "StickinessQuery", series: [{ kind: "EventsNode", event: "a" }] };
    const model = stickinessModel({
      results: [{ label: "a", data: [5, 2], count: 7, days: [1, 2], labels: ["1 day", "2 days"] }],
    });
    expect(model.categories).toEqual(["1 day", "2 days"]);
    expect(model.series[0]?.type).toBe("bar");
    expect(pointActors(query, model.series[0]!.key, model.series[0]!.days![1])).toEqual({
      kind: "InsightActorsQuery", source: query, day: 2, series: 0,
    });
  });
});

function step(order: number, count: number, extra: Partial<FunnelStep> = {}): FunnelStep {
  return {
    action_id: `e${order}`, name: `e${order}`, order, count,
    conversion_rate_from_first_step: 0, conversion_rate_from_previous_step: 0,
    average_conversion_time: null, median_conversion_time: null, ...extra,
  };
}

describe("funnels", () => {
  it("counts drop-off from the previous step and clicks converted or dropped", () => {
    const groups = funnelBreakdowns({ results: [step(0, 10), step(1, 4), step(2, 1)] });
    expect(groups[0]?.steps.map((s) => s.droppedOff)).toEqual([0, 6, 3]);
    const model = funnelModel(groups);
    expect(model.series.map((s) => s.name)).toEqual(["Converted", "Dropped off"]);
    expect(model.series[0]?.days).toEqual([1, 2, 3]);
    expect(model.series[1]?.days).toEqual([-1, -2, -3]);
    const query = { kind: "FunnelsQuery" as const, series: [] };
    expect(funnelActors(query, 2, true, undefined)).toEqual({ kind: "FunnelsActorsQuery", source: query, funnelStep: -2 });
  });

  it("has one converted series per breakdown value", () => {
    const groups = funnelBreakdowns({
      results: [
        [step(0, 5, { breakdown_value: ["Chrome"] }), step(1, 2, { breakdown_value: ["Chrome"] })],
        [step(0, 3, { breakdown_value: ["Safari"] }), step(1, 1, { breakdown_value: ["Safari"] })],
      ],
    });
    const model = funnelModel(groups);
    expect(model.series.map((s) => s.name)).toEqual(["Chrome", "Safari"]);
    expect(model.series[1]?.key.breakdown).toBe("Safari");
  });
});

describe("retention", () => {
  it("shades by percentage and keeps text readable (4.5:1) at every percentage", () => {
    expect(cellShade(100)).toEqual({ background: "rgba(29, 95, 191, 1.00)", color: "#ffffff" });
    expect(cellShade(0).color).toBe("#1d2327");
    for (let p = 0; p <= 100; p++) {
      const shade = cellShade(p);
      const alpha = Number(/([\d.]+)\)$/.exec(shade.background)?.[1]);
      const text = shade.color === "#ffffff" ? 1 : 0.0157;
      expect(contrast(shadeLuminance(alpha), text)).toBeGreaterThanOrEqual(4.5);
      if (p > 0) expect(alpha).toBeGreaterThanOrEqual(Number(/([\d.]+)\)$/.exec(cellShade(p - 1).background)?.[1]));
    }
  });

  it("numbers cohorts within each breakdown value, for the cell's persons", () => {
    const row = (breakdown_value: string, date: string) => ({
      date, label: "", people_count: 1, values: [{ count: 1, percentage: 100, label: "" }], breakdown_value,
    });
    const groups = cohortGroups({ results: [row("a", "d1"), row("a", "d2"), row("b", "d1")] });
    expect(groups.map((g) => g.rows.map((r) => r.interval))).toEqual([[0, 1], [0]]);
    const query: RetentionQuery = { kind: "RetentionQuery" };
    expect(retentionActors(query, 1, 2, "a")).toEqual({
      kind: "InsightActorsQuery", source: query, interval: 1, period: 2, breakdown: "a",
    });
  });
});

describe("paths", () => {
  it("keeps the step in node names and shows the item", () => {
    expect(splitNode("2_/user/:id")).toEqual({ step: 2, label: "/user/:id" });
    const model = sankeyModel([
      { source: "2_/b", target: "3_/c", value: 2 },
      { source: "1_/a", target: "2_/b", value: 5 },
    ]);
    expect(model.nodes.map((n) => n.name)).toEqual(["1_/a", "2_/b", "3_/c"]);
    expect(model.links).toHaveLength(2);
  });
});
