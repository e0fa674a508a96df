// A funnel answer as rows per step (per breakdown value) and as chart series.

import { seriesColor, type CartesianModel } from "./chartModel";
import { breakdownLabel } from "./format";
import type { FunnelStep, FunnelsResponse } from "./types";

export interface FunnelRow {
  step: number;
  name: string;
  count: number;
  conversionFromFirst: number;
  conversionFromPrevious: number;
  droppedOff: number;
  medianTime: number | null;
  averageTime: number | null;
}

export interface FunnelBreakdown {
  /** The breakdown's label; null without a breakdown. */
  label: string | null;
  value: string | number | undefined;
  steps: FunnelRow[];
}

function stepName(step: FunnelStep): string {
  return step.custom_name || step.name || String(step.action_id ?? "All events");
}

function breakdownValue(step: FunnelStep | undefined): string | number | undefined {
  const value = step?.breakdown_value;
  return Array.isArray(value) ? value[0] : value;
}

/** A funnel answer (a list of steps, or one list per breakdown value) as rows per step. */
export function funnelBreakdowns(response: FunnelsResponse): FunnelBreakdown[] {
  const results = response.results ?? [];
  if (results.length === 0) return [];
  const lists: FunnelStep[][] = Array.isArray(results[0]) ? (results as FunnelStep[][]) : [results as FunnelStep[]];
  const brokenDown = Array.isArray(results[0]);
  return lists.map((steps) => ({
    label: brokenDown ? breakdownLabel(breakdownValue(steps[0])) : null,
    value: brokenDown ? breakdownValue(steps[0]) : undefined,
    steps: steps.map((step, index) => ({
      step: index + 1,
      name: stepName(step),
      count: step.count,
      conversionFromFirst: step.conversion_rate_from_first_step,
      conversionFromPrevious: step.conversion_rate_from_previous_step,
      droppedOff: index === 0 ? 0 : (steps[index - 1]?.count ?? 0) - step.count,
      medianTime: index === 0 ? null : step.median_conversion_time,
      averageTime: index === 0 ? null : step.average_conversion_time,
    })),
  }));
}

/** Converted bars per breakdown value; without a breakdown, dropped-off bars stacked on top. */
export function funnelModel(groups: FunnelBreakdown[]): CartesianModel {
  const steps = groups[0]?.steps ?? [];
  const categories = steps.map((step) => `${step.step}. ${step.name}`);
  const single = groups.length === 1 && groups[0]?.label === null;
  const series: CartesianModel["series"] = groups.map((group, index) => ({
    name: group.label ?? "Converted",
    data: group.steps.map((step) => step.count),
    type: "bar",
    stack: single ? "funnel" : undefined,
    color: seriesColor(index),
    key: { breakdown: group.value },
    days: group.steps.map((step) => step.step),
  }));
  if (single && groups[0]) {
    series.push({
      name: "Dropped off",
      data: groups[0].steps.map((step) => step.droppedOff),
      type: "bar",
      stack: "funnel",
      color: "#c9ced4",
      key: {},
      days: groups[0].steps.map((step) => -step.step),
    });
  }
  return { categories, pointLabels: categories, series };
}
