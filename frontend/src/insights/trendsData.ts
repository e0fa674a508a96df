// A TrendsQuery's answer as chart series: one per series, breakdown value and period.

import { breakdownLabel, axisLabel, pointLabel } from "./format";
import { seriesColor, type CartesianModel, type ChartSeries } from "./chartModel";
import type { Interval, TrendsDisplay, TrendsQuery, TrendsResponse, TrendsResult } from "./types";

export function trendsDisplay(query: TrendsQuery): TrendsDisplay {
  return query.trendsFilter?.display ?? "ActionsLineGraph";
}

export function hasFormula(query: TrendsQuery): boolean {
  return (query.trendsFilter?.formulaNodes ?? []).some((node) => node.formula.trim() !== "");
}

/**
 * The label of a result: its series' label, or its breakdown value (after the series' name
 * when there are several series), with the period when comparing.
 */
export function resultLabel(result: TrendsResult, severalSeries: boolean): string {
  const base = result.breakdown_value === undefined ? result.label : breakdownLabel(result.breakdown_value);
  const seriesName = result.action?.custom_name || result.action?.name;
  const named =
    result.breakdown_value !== undefined && severalSeries && seriesName ? `${seriesName} - ${base}` : base;
  return result.compare_label === "previous" ? `${named} (previous period)` : named;
}

function cumulative(data: number[]): number[] {
  let total = 0;
  return data.map((value) => (total += value));
}

/** Which colour a result gets: the previous period shares its current one's. */
function colorKey(result: TrendsResult): string {
  return JSON.stringify([result.action?.order ?? result.label, result.breakdown_value ?? null]);
}

export function trendsModel(query: TrendsQuery, response: TrendsResponse): CartesianModel {
  const interval: Interval = query.interval ?? "day";
  const display = trendsDisplay(query);
  const results = response.results ?? [];
  const current = results.find((r) => r.compare_label !== "previous") ?? results[0];
  const days = current?.days ?? [];
  const colors = new Map<string, string>();
  const formula = hasFormula(query);
  const series: ChartSeries[] = results.map((result) => {
    const key = colorKey(result);
    if (!colors.has(key)) colors.set(key, seriesColor(colors.size));
    const isBar = display === "ActionsBar" || display === "ActionsStackedBar";
    return {
      name: resultLabel(result, query.series.length > 1),
      data: display === "ActionsLineGraphCumulative" ? cumulative(result.data) : result.data,
      type: isBar ? "bar" : "line",
      stack:
        display === "ActionsStackedBar" || display === "ActionsAreaGraph"
          ? (result.compare_label ?? "all")
          : undefined,
      area: display === "ActionsAreaGraph",
      dashed: result.compare_label === "previous",
      color: colors.get(key) ?? seriesColor(0),
      key: {
        series: result.action?.order ?? 0,
        breakdown: result.breakdown_value,
        compare: result.compare_label,
      },
      // Persons are per interval; a cumulative value and a formula have none.
      days: formula || display === "ActionsLineGraphCumulative" ? null : result.days,
    };
  });
  return {
    categories: days.map((day) => axisLabel(day, interval)),
    pointLabels: days.map((day) => pointLabel(day, interval)),
    series,
  };
}

export interface TotalValue {
  name: string;
  value: number;
  color: string;
  key: ChartSeries["key"];
}

/** One value per result over the whole range (bold number, pie, table). */
export function totalValues(query: TrendsQuery, response: TrendsResponse): TotalValue[] {
  return (response.results ?? []).map((result, index) => ({
    name: resultLabel(result, query.series.length > 1),
    value: result.aggregated_value ?? result.count,
    color: seriesColor(index),
    key: {
      series: result.action?.order ?? 0,
      breakdown: result.breakdown_value,
      compare: result.compare_label,
    },
  }));
}

export interface BoldNumber {
  value: number;
  previous: number | null;
  /** The change against the previous period in percent; null without one (or from 0). */
  change: number | null;
}

export function boldNumber(response: TrendsResponse): BoldNumber | null {
  const results = response.results ?? [];
  const current = results.find((r) => r.compare_label !== "previous");
  if (!current) return null;
  const value = current.aggregated_value ?? current.count;
  const before = results.find((r) => r.compare_label === "previous");
  const previous = before ? (before.aggregated_value ?? before.count) : null;
  const change = previous === null || previous === 0 ? null : ((value - previous) / previous) * 100;
  return { value, previous, change };
}
