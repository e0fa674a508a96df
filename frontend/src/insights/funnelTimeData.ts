// A time-to-convert answer (`funnelVizType: "time_to_convert"`) as histogram bars: each bin
// `[seconds_from, persons]` becomes a bar labelled with its start, its range in tooltips.

import { seriesColor, type CartesianModel } from "./chartModel";
import { formatDuration } from "./format";
import type { TimeToConvertResults } from "./types";

export interface HistogramBar {
  from: number;
  to: number;
  persons: number;
}

/** Whether a funnel answer's `results` is a histogram (an object with `bins`). */
export function isTimeToConvert(results: unknown): results is TimeToConvertResults {
  return typeof results === "object" && results !== null && Array.isArray((results as { bins?: unknown }).bins);
}

/**
 * The bins as bars, each up to the next bin's start. The server adds one bin after the
 * range for a time that ends it exactly; empty, it is left out.
 */
export function histogramBars(result: TimeToConvertResults): HistogramBar[] {
  const bins = result.bins;
  const width = bins.length > 1 ? (bins[1]?.[0] ?? 0) - (bins[0]?.[0] ?? 0) : 60;
  const bars = bins.map(([from, persons]) => ({ from, to: from + width, persons }));
  const last = bars[bars.length - 1];
  if (bars.length > 1 && last && last.persons === 0) bars.pop();
  return bars;
}

/** "1h 30m – 2h", the range a bar holds. */
export function barRange(bar: HistogramBar): string {
  return `${formatDuration(bar.from)} – ${formatDuration(bar.to)}`;
}

/** One "Persons" bar series over the bins' starts ("0s", "1h 30m", "2d"). */
export function histogramModel(bars: HistogramBar[]): CartesianModel {
  return {
    categories: bars.map((bar) => formatDuration(bar.from)),
    pointLabels: bars.map(barRange),
    series: [
      {
        name: "Persons",
        data: bars.map((bar) => bar.persons),
        type: "bar",
        color: seriesColor(0),
        key: {},
        days: null,
      },
    ],
  };
}
