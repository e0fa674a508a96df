// A retention answer as a shaded cohort table and a mean curve.

import { seriesColor, type CartesianModel } from "./chartModel";
import { breakdownLabel } from "./format";
import type { RetentionResponse, RetentionRow } from "./types";

export interface CellShade {
  background: string;
  color: string;
}

/**
 * One blue hue whose opacity grows with the percentage, over white; the text turns white
 * where the shade is dark enough that dark text would fall under 4.5:1 contrast.
 */
export function cellShade(percentage: number): CellShade {
  const share = Math.max(0, Math.min(100, percentage)) / 100;
  const alpha = 0.08 + 0.92 * share;
  return {
    background: `rgba(29, 95, 191, ${alpha.toFixed(2)})`,
    color: alpha >= 0.5 ? "#ffffff" : "#1d2327",
  };
}

export interface CohortGroup {
  label: string | null;
  value: string | number | null | undefined;
  /** Index in the answer's results of each row (the InsightActorsQuery's `interval`). */
  rows: { row: RetentionRow; interval: number }[];
}

/** Rows grouped by breakdown value, each row keeping its cohort index within its group. */
export function cohortGroups(response: RetentionResponse): CohortGroup[] {
  const groups = new Map<string, CohortGroup>();
  for (const row of response.results ?? []) {
    const key = JSON.stringify(row.breakdown_value ?? null);
    let group = groups.get(key);
    if (!group) {
      const label = row.breakdown_value === undefined ? null : breakdownLabel(row.breakdown_value);
      group = { label, value: row.breakdown_value, rows: [] };
      groups.set(key, group);
    }
    group.rows.push({ row, interval: group.rows.length });
  }
  return [...groups.values()];
}

export function periodCount(response: RetentionResponse): number {
  return Math.max(0, ...(response.results ?? []).map((row) => row.values.length));
}

/** "Week 3" from "Week" and 3. */
export function periodLabel(period: string, index: number): string {
  return `${period} ${index}`;
}

/** A cohort's start as a local date, with the time for hourly cohorts. */
export function cohortDate(date: string, period: string): string {
  return period === "Hour" ? date.slice(0, 16).replace("T", " ") : date.slice(0, 10);
}

export function retentionCurve(response: RetentionResponse, period: string): CartesianModel {
  const means = response.means ?? [];
  const count = Math.max(0, ...means.map((mean) => mean.data.length));
  const labels = Array.from({ length: count }, (_, i) => periodLabel(period, i));
  return {
    categories: labels,
    pointLabels: labels,
    series: means.map((mean, index) => ({
      name: mean.breakdown_value === null ? "Mean" : `Mean - ${breakdownLabel(mean.breakdown_value)}`,
      data: mean.data,
      type: "line",
      color: seriesColor(index),
      key: {},
      days: null,
    })),
  };
}
