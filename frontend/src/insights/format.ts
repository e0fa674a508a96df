// How an insight's numbers, dates and durations read on axes, in tooltips and in tables.

import type { Interval } from "./types";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * An entry of a trends answer's `days` ("2026-11-01", or "2026-11-01 10:00:00" for hours,
 * local to the project) as an axis label for the interval: "Nov 1 10:00", "Nov 1",
 * "Nov 2026". Anything else is shown as it is.
 */
export function axisLabel(day: string, interval: Interval): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?/.exec(day);
  if (!match) return day;
  const [, year, month, date, hour, minute] = match;
  const monthName = MONTHS[Number(month) - 1] ?? month;
  if (interval === "month") return `${monthName} ${year}`;
  const dayLabel = `${monthName} ${Number(date)}`;
  if (interval === "hour") return `${dayLabel} ${hour ?? "00"}:${minute ?? "00"}`;
  return dayLabel;
}

/** A full label for a tooltip: the axis label plus the year for days and weeks. */
export function pointLabel(day: string, interval: Interval): string {
  const label = axisLabel(day, interval);
  if (interval === "week") return `Week of ${label}, ${day.slice(0, 4)}`;
  if (interval === "day") return `${label}, ${day.slice(0, 4)}`;
  return label;
}

// Made once: `toLocaleString` with options builds a new formatter on every call, which a
// dashboard's axes and tables (thousands of numbers) pay for on the main thread.
const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const PERCENT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** Exact numbers with thousands separators; up to 2 decimals for averages and percentiles. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return NUMBER.format(value);
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return `${PERCENT.format(value)}%`;
}

/** Seconds as "45s", "12m 5s", "3h 20m", "2d 4h"; a zero second part is left out ("1h"). */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  const parts = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    small ? `${big}${bigUnit} ${small}${smallUnit}` : `${big}${bigUnit}`;
  if (s < 60) return `${s}s`;
  if (s < 3600) return parts(Math.floor(s / 60), "m", s % 60, "s");
  if (s < 86400) return parts(Math.floor(s / 3600), "h", Math.floor((s % 3600) / 60), "m");
  return parts(Math.floor(s / 86400), "d", Math.floor((s % 86400) / 3600), "h");
}

const BREAKDOWN_NULL = "$$_posthog_breakdown_null_$$";
const BREAKDOWN_OTHER = "$$_posthog_breakdown_other_$$";

/** A breakdown value as a person reads it. */
export function breakdownLabel(value: string | number | null | undefined): string {
  if (value === BREAKDOWN_NULL || value === null || value === undefined || value === "") return "None";
  if (value === BREAKDOWN_OTHER) return "Other";
  return String(value);
}

/**
 * Text for a canvas tooltip (ECharts rich text): its `{name|...}` markup cannot run code,
 * but braces and pipes in captured values are neutralized so a value cannot restyle the text.
 */
export function tooltipText(value: string): string {
  return value.replace(/[{}|]/g, (c) => ({ "{": "(", "}": ")", "|": "¦" })[c] ?? c);
}
