import { describe, expect, it } from "vitest";

import { countryVisitors, mapOption, NO_VISITORS_COLOR, shade } from "./mapOption";

const columns = ["context.columns.breakdown_value", "context.columns.visitors", "context.columns.views"];

describe("the world map", () => {
  it("shades from light to the chart blue for the most visited country", () => {
    expect(shade(10, 10)).toBe("#1d5fbf");
    expect(shade(0, 10)).toBe("#d6e4f7");
    expect(shade(5, 10)).toBe("#7aa2db");
    expect(shade(20, 10)).toBe("#1d5fbf");
  });

  it("reads visitors per country code, leaving out rows that name no country", () => {
    const response = {
      columns,
      results: [
        ["us", [8, 3], [20, 9]],
        ["FR", [2, null], [5, null]],
        [null, [4, 1], [4, 1]],
        ["<script>", [1, 0], [1, 0]],
      ] as never,
    };
    expect(countryVisitors(response)).toEqual([
      { code: "US", visitors: 8 },
      { code: "FR", visitors: 2 },
    ]);
  });

  it("draws one map series with each country's shade, grey for the rest", () => {
    const option = mapOption([
      { code: "US", visitors: 8 },
      { code: "FR", visitors: 2 },
    ]) as { series: { type: string; map: string; itemStyle: { areaColor: string }; data: unknown[] }[] };
    const [series] = option.series;
    expect(series?.type).toBe("map");
    expect(series?.itemStyle.areaColor).toBe(NO_VISITORS_COLOR);
    expect(series?.data).toEqual([
      { name: "US", value: 8, itemStyle: { areaColor: "#1d5fbf" } },
      { name: "FR", value: 2, itemStyle: { areaColor: shade(2, 8) } },
    ]);
  });

  it("says a country's visitors in the tooltip, as plain text", () => {
    const option = mapOption([]) as { tooltip: { formatter: (p: object) => string; renderMode: string } };
    expect(option.tooltip.renderMode).toBe("richText");
    expect(option.tooltip.formatter({ name: "DE", value: 3 })).toBe("Germany: 3 visitors");
    expect(option.tooltip.formatter({ name: "IT", value: Number.NaN })).toBe("Italy: 0 visitors");
  });
});
