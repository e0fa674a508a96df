import { describe, expect, it } from "vitest";

import { cartesianOption } from "./chartOptions";
import { formatDuration } from "./format";
import { barRange, histogramBars, histogramModel, isTimeToConvert } from "./funnelTimeData";

describe("time to convert", () => {
  const answer = {
    bins: [
      [60, 3],
      [1140, 1],
      [2220, 0],
      [3300, 2],
    ] as [number, number][],
    average_conversion_time: 1460,
  };

  it("tells a histogram from funnel steps", () => {
    expect(isTimeToConvert(answer)).toBe(true);
    expect(isTimeToConvert([{ count: 1 }])).toBe(false);
    expect(isTimeToConvert(null)).toBe(false);
  });

  it("makes a bar of each bin, up to the next bin's start", () => {
    const bars = histogramBars(answer);
    expect(bars).toEqual([
      { from: 60, to: 1140, persons: 3 },
      { from: 1140, to: 2220, persons: 1 },
      { from: 2220, to: 3300, persons: 0 },
      { from: 3300, to: 4380, persons: 2 },
    ]);
    expect(barRange(bars[1]!)).toBe("19m – 37m");
  });

  it("leaves out the bin after the range when it is empty", () => {
    const bars = histogramBars({ bins: [[120, 2], [180, 0], [240, 0]], average_conversion_time: 120 });
    expect(bars.map((b) => [b.from, b.persons])).toEqual([
      [120, 2],
      [180, 0],
    ]);
    expect(histogramBars({ bins: [[5, 1]], average_conversion_time: 5 })).toEqual([{ from: 5, to: 65, persons: 1 }]);
  });

  it("labels bars with durations and titles both axes", () => {
    const model = histogramModel(histogramBars(answer));
    expect(model.categories).toEqual(["1m", "19m", "37m", "55m"]);
    expect(model.pointLabels[0]).toBe("1m – 19m");
    expect(model.series.map((s) => [s.name, s.data])).toEqual([["Persons", [3, 1, 0, 2]]]);
    const option = cartesianOption(model, { axisNames: { x: "Time to convert", y: "Persons" } }) as {
      xAxis: { name: string };
      yAxis: { name: string };
      tooltip: { formatter: (p: unknown) => string };
    };
    expect([option.xAxis.name, option.yAxis.name]).toEqual(["Time to convert", "Persons"]);
    expect(option.tooltip.formatter([{ seriesName: "Persons", value: 3, dataIndex: 0 }])).toBe("1m – 19m\nPersons: 3");
    const tile = cartesianOption(model, { compact: true, axisNames: { x: "Time to convert", y: "Persons" } }) as {
      xAxis: { name?: string };
    };
    expect(tile.xAxis.name).toBeUndefined();
  });

  it("reads durations in their largest units, without zero parts", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(3600)).toBe("1h");
    expect(formatDuration(3660)).toBe("1h 1m");
    expect(formatDuration(90061)).toBe("1d 1h");
    expect(formatDuration(172800)).toBe("2d");
    expect(formatDuration(125)).toBe("2m 5s");
  });
});
