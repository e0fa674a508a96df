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

const TIME_UNITS: { seconds: number; suffix: string }[] = [
  { seconds: 86400, suffix: "d" },
  { seconds: 3600, suffix: "h" },
  { seconds: 60, suffix: "min" },
  { seconds: 1, suffix: "s" },
];

/** The unit the time axis counts in: the largest that the longest time has two of. */
export function timeUnit(groups: FunnelBreakdown[]): { seconds: number; suffix: string } {
  const longest = Math.max(
    0,
    ...groups.flatMap((group) => group.steps.flatMap((step) => [step.medianTime ?? 0, step.averageTime ?? 0])),
  );
  return TIME_UNITS.find((unit) => longest >= 2 * unit.seconds) ?? { seconds: 1, suffix: "s" };
}

/**
 * Median and average time from the previous step, per step after the first, in `unit`s
 * (so the axis has round numbers of hours or days).
 */
export function timeModel(groups: FunnelBreakdown[], unit = timeUnit(groups)): CartesianModel {
  const inUnit = (seconds: number | null) => (seconds === null ? null : seconds / unit.seconds);
  const steps = (groups[0]?.steps ?? []).slice(1);
  const categories = steps.map((step) => `${step.step - 1} → ${step.step}. ${step.name}`);
  return {
    categories,
    pointLabels: categories,
    series: groups.flatMap((group, index) => [
      {
        name: `${group.label ? group.label + " - " : ""}Median time`,
        data: group.steps.slice(1).map((step) => inUnit(step.medianTime)),
        type: "bar" as const,
        color: seriesColor(index * 2),
        key: {},
        days: null,
      },
      {
        name: `${group.label ? group.label + " - " : ""}Average time`,
        data: group.steps.slice(1).map((step) => inUnit(step.averageTime)),
        type: "bar" as const,
        color: seriesColor(index * 2 + 1),
        key: {},
        days: null,
      },
    ]),
  };
}

