// How the answers of /web read: a tile's value and its change against the previous period,
// and a table's cells. The answers' shapes are the web analytics contract's.

import type { HogQLResponse } from "../../insights/types";
import { formatDuration, formatNumber, formatPercent } from "../../insights/format";

/** One item of a WebOverviewQuery answer. */
export interface OverviewItem {
  key: string;
  kind: "unit" | "duration_s" | "percentage" | string;
  value: number | null;
  previous: number | null;
  changeFromPreviousPct: number | null;
  isIncreaseBad?: boolean | null;
}

export interface OverviewResponse {
  results: OverviewItem[];
}

/** [current, previous] of one measure; previous is null when compare is off. */
export type Pair = [number | null, number | null];
export type TableRow = [string | number | null, ...Pair[]];

export interface TableResponse {
  columns: string[];
  results: TableRow[];
  hasMore?: boolean;
}

export const TILE_LABELS: Record<string, string> = {
  visitors: "Visitors",
  views: "Page views",
  sessions: "Sessions",
  "session duration": "Session duration",
  "bounce rate": "Bounce rate",
};

export function tileLabel(key: string): string {
  return TILE_LABELS[key] ?? key;
}

export function formatItemValue(kind: string, value: number | null): string {
  if (kind === "duration_s") return formatDuration(value);
  if (kind === "percentage") return formatPercent(value);
  return formatNumber(value);
}

export type Tone = "good" | "bad" | "neutral";

export interface Change {
  /** What is drawn: "↑ 12%", "↓ 5%", "0%". */
  text: string;
  /** What a screen reader says: "up 12% from the previous period". */
  spoken: string;
  tone: Tone;
}

/** A change in percent as shown under a tile; null when there is none to show. */
export function formatChange(pct: number | null | undefined, increaseIsBad = false): Change | null {
  if (pct === null || pct === undefined || Number.isNaN(pct)) return null;
  const size = `${Math.abs(pct).toLocaleString("en-US")}%`;
  if (pct === 0) return { text: "0%", spoken: "no change from the previous period", tone: "neutral" };
  const up = pct > 0;
  const good = up !== increaseIsBad;
  return {
    text: `${up ? "↑" : "↓"} ${size}`,
    spoken: `${up ? "up" : "down"} ${size} from the previous period`,
    tone: good ? "good" : "bad",
  };
}

/** A tile's "previous period" line. */
export function previousText(item: OverviewItem): string | null {
  if (item.previous === null) return null;
  return `Previous period: ${formatItemValue(item.kind, item.previous)}`;
}

export interface TableColumns {
  visitors: number;
  views: number;
  /** The bounce rate's index in a row, or null when the answer has none. */
  bounceRate: number | null;
}

/** Where each measure is in the answer's rows (its `columns`). */
export function tableColumns(columns: string[]): TableColumns {
  const at = (name: string) => {
    const index = columns.indexOf(`context.columns.${name}`);
    return index < 0 ? null : index;
  };
  return { visitors: at("visitors") ?? 1, views: at("views") ?? 2, bounceRate: at("bounce_rate") };
}

export function pairOf(row: TableRow, index: number | null): Pair {
  if (index === null) return [null, null];
  const cell = row[index];
  return Array.isArray(cell) ? cell : [null, null];
}

/** A bounce rate (a fraction 0..1) in percent. */
export function formatRate(fraction: number | null): string {
  return fraction === null ? "–" : formatPercent(fraction * 100);
}

/** A table cell's change against the previous period, in whole percent; null without one. */
export function pairChange([current, previous]: Pair): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return Math.round((100 * (current - previous)) / previous);
}

export interface LivePage {
  page: string | null;
  visitors: number;
}

/** The live query's rows: [page, visitors, total]. */
export function liveRows(response: HogQLResponse): { pages: LivePage[]; total: number } {
  let total = 0;
  const pages = response.results.map((row) => {
    const [page, visitors, all] = row;
    if (all !== null && all !== undefined) total = Number(all) || 0;
    return { page: typeof page === "string" && page !== "" ? page : null, visitors: Number(visitors) || 0 };
  });
  return { pages, total };
}
