// The world map's ECharts option: each country shaded by its visitors, from a light blue
// (a few) to the chart blue (the most); countries without visitors are grey. The country
// codes are captured data: they only name geometry, and the tooltip is canvas rich text.

import type { EChartsCoreOption } from "echarts/core";

import { formatNumber, tooltipText } from "../../insights/format";
import { countryName } from "./breakdowns";
import { pairOf, tableColumns, type TableResponse } from "./webFormat";

export const MAP_NAME = "world";
export const NO_VISITORS_COLOR = "#e6e9ed";
const LIGHTEST: [number, number, number] = [0xd6, 0xe4, 0xf7];
const DARKEST: [number, number, number] = [0x1d, 0x5f, 0xbf];

export interface CountryVisitors {
  /** ISO 3166-1 alpha-2, upper case. */
  code: string;
  visitors: number;
}

function hex(channel: number): string {
  return Math.round(channel).toString(16).padStart(2, "0");
}

/** The shade of `value` on a scale up to `max`: the darkest for the most visited country. */
export function shade(value: number, max: number): string {
  const t = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  const rgb = LIGHTEST.map((low, i) => low + ((DARKEST[i] ?? low) - low) * t);
  return `#${rgb.map(hex).join("")}`;
}

/** The Country table's rows as visitors per country code (rows without a code are left out). */
export function countryVisitors(response: TableResponse): CountryVisitors[] {
  const { visitors } = tableColumns(response.columns);
  const out: CountryVisitors[] = [];
  for (const row of response.results) {
    const code = row[0];
    const [current] = pairOf(row, visitors);
    if (typeof code === "string" && /^[A-Za-z]{2}$/.test(code) && current) {
      out.push({ code: code.toUpperCase(), visitors: current });
    }
  }
  return out;
}

interface TooltipParams {
  name?: string;
  value?: number;
}

export function mapOption(countries: CountryVisitors[]): EChartsCoreOption {
  const max = Math.max(0, ...countries.map((c) => c.visitors));
  return {
    animation: false,
    tooltip: {
      trigger: "item",
      renderMode: "richText",
      formatter: (params: TooltipParams) => {
        const name = tooltipText(countryName(params.name ?? ""));
        const value = typeof params.value === "number" && !Number.isNaN(params.value) ? params.value : 0;
        return `${name}: ${formatNumber(value)} ${value === 1 ? "visitor" : "visitors"}`;
      },
    },
    series: [
      {
        type: "map",
        map: MAP_NAME,
        roam: false,
        left: 0,
        right: 0,
        top: 0,
        bottom: 0,
        itemStyle: { areaColor: NO_VISITORS_COLOR, borderColor: "#ffffff", borderWidth: 0.5 },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#f0b429" } },
        select: { disabled: true },
        data: countries.map((c) => ({
          name: c.code,
          value: c.visitors,
          itemStyle: { areaColor: shade(c.visitors, max) },
        })),
      },
    ],
  };
}
