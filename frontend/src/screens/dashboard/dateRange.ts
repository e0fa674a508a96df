// The dashboard's date range choices: each insight's own range, a preset, or a custom one.

import { CUSTOM_CHOICE } from "../../components/DateRangeFields";
import { DATE_PRESETS } from "../../components/EventFilters";
import type { DashboardFilters } from "../../insights/dashboardFilters";

export const OWN_RANGE = "own";
export const CUSTOM_RANGE = CUSTOM_CHOICE;

/** [select value, label]: the event list's presets ("" there is all time: "all" here). */
export const DASHBOARD_PRESETS: [string, string][] = [
  [OWN_RANGE, "Each insight's own range"],
  ...DATE_PRESETS.map(([after, label]): [string, string] => [after || "all", label]),
];

/** Which choice the filters hold: no range, a preset (up to now), or custom. */
export function presetOf(filters: Pick<DashboardFilters, "date_from" | "date_to">): string {
  if (filters.date_from === null && filters.date_to === null) return OWN_RANGE;
  const preset = DASHBOARD_PRESETS.find(([value]) => value === filters.date_from);
  return preset && filters.date_to === null ? preset[0] : CUSTOM_RANGE;
}

/** The range a choice sets (custom keeps the range being edited). */
export function rangeOf(
  choice: string,
  current: Pick<DashboardFilters, "date_from" | "date_to">,
): Pick<DashboardFilters, "date_from" | "date_to"> {
  if (choice === OWN_RANGE) return { date_from: null, date_to: null };
  if (choice === CUSTOM_RANGE) return { date_from: current.date_from ?? "-7d", date_to: current.date_to };
  return { date_from: choice, date_to: null };
}

/** Cleaned filters to save: empty texts are no bound, and rows without a property go. */
export function cleanFilters(filters: DashboardFilters): DashboardFilters {
  return {
    date_from: filters.date_from?.trim() || null,
    date_to: filters.date_to?.trim() || null,
    properties: filters.properties.filter((f) => f.key.trim() !== ""),
  };
}
