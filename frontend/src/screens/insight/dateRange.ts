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

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/**
 * What the range picker shows: a preset's value, "custom" for explicit dates, or the
 * relative `date_from` itself (such as "-56d", from a shared link), shown as its own choice.
 */
export function presetOf(range: DateRange | undefined): string {
  const from = range?.date_from ?? "-7d";
  if (range?.date_to || ISO_DATE.test(from)) return CUSTOM;
  return from;
}

/** The label of a range's choice. */
export function rangeLabel(value: string): string {
  const preset = DATE_PRESETS.find((p) => p.from === value);
  if (preset) return preset.label;
  if (value === CUSTOM) return "Custom dates";
  const relative = /^-(\d+)([hdwmy])$/.exec(value);
  if (relative) {
    const units: Record<string, string> = { h: "hour", d: "day", w: "week", m: "month", y: "year" };
    const n = Number(relative[1]);
    return `Last ${n} ${units[relative[2] ?? "d"] ?? ""}${n === 1 ? "" : "s"}`;
  }
  const start = /^-0([dwmy])Start$/.exec(value);
  if (start) return { d: "Today", w: "This week", m: "This month", y: "Year to date" }[start[1] ?? "d"] ?? value;
  return `Since ${value}`;
}

/** A custom range of whole local days, from its two dates. */
export function customRange(from: string, to: string): DateRange {
  return { date_from: from, date_to: to || null };
}
