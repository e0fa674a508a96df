// A retention answer as a shaded cohort table and a mean curve.

import { seriesColor, type CartesianModel } from "./chartModel";
import { breakdownLabel } from "./format";
import type { RetentionResponse, RetentionRow } from "./types";

export interface CellShade {
  background: string;
  color: string;
}

const HUE = [29, 95, 191];
const DARK_TEXT = "#1d2327";
const DARK_LUMINANCE = 0.0157;

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** The relative luminance of the hue at `alpha` over white (WCAG 2). */
export function shadeLuminance(alpha: number): number {
  const [r, g, b] = HUE.map((c) => channel(255 + alpha * (c - 255)));
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

export function contrast(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

/**
 * One blue hue whose opacity grows with the percentage, over white. The text is dark on
 * light shades and white on dark ones; shades where neither would reach 4.5:1 contrast are
 * darkened until white text does, so every cell stays readable.
 */
export function cellShade(percentage: number): CellShade {
  const share = Math.max(0, Math.min(100, percentage)) / 100;
  // On a grid of hundredths, as the color is written.
  let alpha = Math.round((0.06 + 0.94 * share) * 100) / 100;
  if (contrast(shadeLuminance(alpha), DARK_LUMINANCE) >= 4.5) {
    return { background: `rgba(${HUE.join(", ")}, ${alpha.toFixed(2)})`, color: DARK_TEXT };
  }
  while (alpha < 1 && contrast(shadeLuminance(alpha), 1) < 4.5) {
    alpha = Math.min(1, Math.round((alpha + 0.01) * 100) / 100);
  }
  return { background: `rgba(${HUE.join(", ")}, ${alpha.toFixed(2)})`, color: "#ffffff" };
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
