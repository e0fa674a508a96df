// Lifecycle and stickiness answers as chart series.

import { axisLabel, pointLabel } from "./format";
import { LIFECYCLE_COLORS, seriesColor, type CartesianModel } from "./chartModel";
import type { LifecycleQuery, LifecycleResponse, LifecycleStatus, StickinessResponse } from "./types";

export const LIFECYCLE_ORDER: LifecycleStatus[] = ["new", "returning", "resurrecting", "dormant"];
const LIFECYCLE_LABELS: Record<LifecycleStatus, string> = {
  new: "New",
  returning: "Returning",
  resurrecting: "Resurrecting",
  dormant: "Dormant",
};

/** Stacked bars in the order new, returning, resurrecting, dormant (negative, below zero). */
export function lifecycleModel(query: LifecycleQuery, response: LifecycleResponse): CartesianModel {
  const interval = query.interval ?? "day";
  const results = response.results ?? [];
  const days = results[0]?.days ?? [];
  const series = LIFECYCLE_ORDER.flatMap((status) => {
    const result = results.find((r) => r.status === status);
    if (!result) return [];
    return [
      {
        name: LIFECYCLE_LABELS[status],
        data: result.data,
        type: "bar" as const,
        stack: "lifecycle",
        color: LIFECYCLE_COLORS[status],
        key: { status },
        days: result.days,
      },
    ];
  });
  return {
    categories: days.map((day) => axisLabel(day, interval)),
    pointLabels: days.map((day) => pointLabel(day, interval)),
    series,
  };
}

/** Bars per series over "1 day", "2 days", ... (the answer's labels). */
export function stickinessModel(response: StickinessResponse): CartesianModel {
  const results = response.results ?? [];
  const labels = results[0]?.labels ?? [];
  return {
    categories: labels,
    pointLabels: labels,
    series: results.map((result, index) => ({
      name: result.label,
      data: result.data,
      type: "bar" as const,
      color: seriesColor(index),
      key: { series: index },
      days: result.days,
    })),
  };
}
