import { describe, expect, it } from "vitest";

import { barValueOption, cartesianOption, pieOption, sankeyOption } from "./chartOptions";
import { seriesColor } from "./chartModel";
import { sankeyModel } from "./pathsData";

const HOSTILE = "<img src=x onerror=alert(1)>";

type Formatter = (params: unknown) => string;

describe("tooltips of captured values", () => {
  it("render as canvas text with exact values, never HTML", () => {
    const option = cartesianOption({
      categories: ["Nov 1"],
      pointLabels: ["Nov 1, 2026"],
      series: [{ name: HOSTILE, data: [1234567], type: "line", color: seriesColor(0), key: {}, days: null }],
    }) as { tooltip: { renderMode: string; formatter: Formatter } };
    expect(option.tooltip.renderMode).toBe("richText");
    const text = option.tooltip.formatter([{ seriesName: HOSTILE, value: 1234567, dataIndex: 0 }]);
    expect(text).toBe(`Nov 1, 2026\n${HOSTILE}: 1,234,567`);
  });

  it("holds for pies and the paths diagram", () => {
    const pie = pieOption([{ name: HOSTILE, value: 3, color: "#000" }]) as { tooltip: { renderMode: string } };
    expect(pie.tooltip.renderMode).toBe("richText");
    const sankey = sankeyOption(sankeyModel([{ source: `1_${HOSTILE}`, target: "2_{b|x}", value: 4 }])) as {
      tooltip: { renderMode: string; formatter: Formatter };
    };
    expect(sankey.tooltip.renderMode).toBe("richText");
    const edge = sankey.tooltip.formatter({
      dataType: "edge",
      data: { source: `1_${HOSTILE}`, target: "2_{b|x}", value: 4 },
      value: 4,
    });
    expect(edge).toBe(`${HOSTILE} → (b¦x)\nPersons: 4`);
  });
});

describe("bar chart of totals", () => {
  it("puts the largest value on top, labels as text and tooltips with exact values", () => {
    const bars = [
      { name: "$pageview", value: 1500, color: "#111" },
      { name: HOSTILE, value: 20, color: "#222" },
    ];
    const option = barValueOption(bars) as {
      yAxis: { data: string[]; axisLabel: { formatter: (name: string) => string } };
      series: { data: { value: number }[] }[];
      tooltip: { renderMode: string; formatter: Formatter };
    };
    // ECharts draws the first category at the bottom: the first (largest) value comes last.
    expect(option.yAxis.data).toEqual([HOSTILE, "$pageview"]);
    expect(option.series[0]?.data.map((d) => d.value)).toEqual([20, 1500]);
    expect(option.yAxis.axisLabel.formatter(HOSTILE)).toBe(HOSTILE);
    expect(option.tooltip.renderMode).toBe("richText");
    expect(option.tooltip.formatter({ name: "$pageview", value: 1500 })).toBe("$pageview\nValue: 1,500");
  });
});
