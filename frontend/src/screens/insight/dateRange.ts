// The date range picker's presets and how a range reads.

import type { DateRange } from "../../insights/types";

export const DATE_PRESETS: { label: string; from: string; to?: string }[] = [
  { label: "Last 24 hours", from: "-24h" },
  { label: "Last 7 days", from: "-7d" },
  { label: "Last 14 days", from: "-14d" },
  { label: "Last 30 days", from: "-30d" },
  { label: "Last 90 days", from: "-90d" },
  { label: "Last 12 months", from: "-12m" },
  { label: "Year to date", from: "-0yStart" },
  { label: "All time", from: "all" },
];

export const CUSTOM = "custom";

/** The preset a range is, or "custom" for explicit dates. */
export function presetOf(range: DateRange | undefined): string {
  const from = range?.date_from ?? "-7d";
  const preset = DATE_PRESETS.find((p) => p.from === from && !range?.date_to);
  return preset ? preset.from : CUSTOM;
}

/** A custom range of whole local days, from its two dates. */
export function customRange(from: string, to: string): DateRange {
  return { date_from: from, date_to: to || null };
}
