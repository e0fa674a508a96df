// What a cartesian chart (lines or bars over intervals or buckets) draws: the shape every
// insight kind's answer is turned into before it becomes an ECharts option.

import type { LifecycleStatus } from "./types";

/** What identifies a series' points to an ActorsQuery (see actorsSource.ts). */
export interface PointKey {
  series?: number;
  breakdown?: string | number;
  compare?: "current" | "previous";
  status?: LifecycleStatus;
}

export interface ChartSeries {
  /** The legend label (captured text: drawn on canvas only). */
  name: string;
  data: (number | null)[];
  type: "line" | "bar";
  stack?: string;
  area?: boolean;
  dashed?: boolean;
  color: string;
  key: PointKey;
  /** The point's `day` for an InsightActorsQuery, per index; null when it has no persons. */
  days: (string | number)[] | null;
}

export interface CartesianModel {
  /** Axis labels, formatted for the interval. */
  categories: string[];
  /** Longer labels for tooltips and the accessible table. */
  pointLabels: string[];
  series: ChartSeries[];
}

/** Colors with 4.5:1 contrast on white, so text in these colors stays readable too. */
export const PALETTE = [
  "#1d5fbf",
  "#b3541e",
  "#2f7d4a",
  "#8e3bab",
  "#b0283a",
  "#0f6e7a",
  "#7a6312",
  "#5b5f97",
  "#9c3d6b",
  "#4d6b1f",
];

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length] ?? "#1d5fbf";
}

export const LIFECYCLE_COLORS: Record<LifecycleStatus, string> = {
  new: "#2f7d4a",
  returning: "#1d5fbf",
  resurrecting: "#8e3bab",
  dormant: "#b3541e",
};
