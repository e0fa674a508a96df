// ECharts options for every chart (pure: the tests read them). Tooltips render as canvas
// rich text (`renderMode: "richText"`), never as HTML, so captured names cannot become markup.

import type { EChartsCoreOption } from "echarts/core";

import type { CartesianModel } from "./chartModel";
import { formatNumber, tooltipText } from "./format";
import type { SankeyModel } from "./pathsData";

const INK = "#1d2327";
const MUTED = "#5c6670";

interface AxisParam {
  seriesName?: string;
  value?: unknown;
  dataIndex: number;
  name?: string;
}

function asList(params: AxisParam | AxisParam[]): AxisParam[] {
  return Array.isArray(params) ? params : [params];
}

/** Canvas tooltip text: the point's label, then "series: exact value" lines. */
export function tooltipLines(
  title: string,
  rows: { name: string; value: unknown }[],
  format: (value: number) => string = formatNumber,
): string {
  const lines = rows.map(({ name, value }) => `${tooltipText(name)}: ${typeof value === "number" ? format(value) : "–"}`);
  return [tooltipText(title), ...lines].join("\n");
}

function legend(compact: boolean): object {
  return { show: !compact, type: "scroll", top: 0, textStyle: { color: INK }, selectedMode: true };
}

export function cartesianOption(
  model: CartesianModel,
  options: {
    compact?: boolean;
    /** How values read on the axis; also in tooltips unless `tooltipFormatter` is given. */
    valueFormatter?: (value: number) => string;
    tooltipFormatter?: (value: number) => string;
    /** Axis titles (hidden on compact tiles). */
    axisNames?: { x: string; y: string };
  } = {},
): EChartsCoreOption {
  const compact = options.compact ?? false;
  const names = compact ? undefined : options.axisNames;
  const axisName = (name: string | undefined) =>
    name ? { name, nameLocation: "middle", nameGap: 10, nameMoveOverlap: true, nameTextStyle: { color: INK } } : {};
  const format = options.valueFormatter ?? formatNumber;
  const tooltipFormat = options.tooltipFormatter ?? format;
  return {
    animation: false,
    textStyle: { fontSize: compact ? 10 : 12 },
    legend: legend(compact),
    // With axis titles the grid holds its labels and titles (ECharts 6's outer bounds).
    grid: names
      ? { left: 8, right: 16, top: 36, bottom: 8, outerBoundsMode: "same", outerBoundsContain: "all" }
      : { left: 8, right: 16, top: compact ? 8 : 36, bottom: 8, containLabel: true },
    tooltip: {
      trigger: "axis",
      renderMode: "richText",
      confine: true,
      formatter: (params: AxisParam | AxisParam[]) => {
        const list = asList(params);
        const index = list[0]?.dataIndex ?? 0;
        return tooltipLines(
          model.pointLabels[index] ?? "",
          list.map((p) => ({ name: p.seriesName ?? "", value: p.value })),
          tooltipFormat,
        );
      },
    },
    xAxis: {
      type: "category",
      data: model.categories,
      axisLabel: { color: MUTED, hideOverlap: true },
      ...axisName(names?.x),
    },
    yAxis: {
      type: "value",
      axisLabel: { color: MUTED, formatter: (value: number) => format(value) },
      ...axisName(names?.y),
    },
    series: model.series.map((s) => ({
      name: s.name,
      type: s.type,
      data: s.data,
      stack: s.stack,
      areaStyle: s.area ? { opacity: 0.35 } : undefined,
      lineStyle: s.dashed ? { type: "dashed" } : undefined,
      itemStyle: { color: s.color, opacity: s.dashed && s.type === "bar" ? 0.5 : 1 },
      color: s.color,
      showSymbol: s.type === "line" && s.data.length < 40,
      symbolSize: 6,
      emphasis: { focus: "series" },
      cursor: s.days ? "pointer" : "default",
    })),
  };
}

export function pieOption(
  slices: { name: string; value: number; color: string }[],
  compact = false,
): EChartsCoreOption {
  return {
    animation: false,
    legend: { ...legend(compact), type: "scroll" },
    tooltip: {
      trigger: "item",
      renderMode: "richText",
      confine: true,
      formatter: (p: { name: string; value: number; percent: number }) =>
        `${tooltipLines(p.name, [{ name: "Value", value: p.value }])} (${p.percent}%)`,
    },
    series: [
      {
        type: "pie",
        radius: compact ? ["30%", "70%"] : ["35%", "65%"],
        top: compact ? 0 : 30,
        data: slices.map((s) => ({ name: s.name, value: s.value, itemStyle: { color: s.color } })),
        label: { show: !compact, color: INK, formatter: (p: { name: string }) => tooltipText(p.name) },
      },
    ],
  };
}

/** One horizontal bar per value, largest on top (the "bar value" display). */
export function barValueOption(
  bars: { name: string; value: number; color: string }[],
  compact = false,
): EChartsCoreOption {
  const top = [...bars].reverse(); // ECharts draws the first category at the bottom
  return {
    animation: false,
    textStyle: { fontSize: compact ? 10 : 12 },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: "item",
      renderMode: "richText",
      confine: true,
      formatter: (p: { name: string; value: number }) =>
        tooltipLines(p.name, [{ name: "Value", value: p.value }]),
    },
    xAxis: { type: "value", axisLabel: { color: MUTED, formatter: (v: number) => formatNumber(v) } },
    yAxis: {
      type: "category",
      data: top.map((b) => b.name),
      axisLabel: {
        color: INK,
        width: compact ? 110 : 220,
        overflow: "truncate",
        formatter: (name: string) => tooltipText(name),
      },
    },
    series: [
      {
        type: "bar",
        data: top.map((b) => ({ value: b.value, itemStyle: { color: b.color } })),
        cursor: "pointer",
        label: { show: !compact, position: "right", color: INK, formatter: (p: { value: number }) => formatNumber(p.value) },
      },
    ],
  };
}

export function sankeyOption(model: SankeyModel, compact = false): EChartsCoreOption {
  const labels = new Map(model.nodes.map((node) => [node.name, node.label]));
  return {
    animation: false,
    tooltip: {
      trigger: "item",
      renderMode: "richText",
      confine: true,
      formatter: (p: { dataType: string; data: { source?: string; target?: string; name?: string; value?: number }; value: number }) =>
        p.dataType === "edge"
          ? tooltipLines(
              `${labels.get(p.data.source ?? "") ?? ""} → ${labels.get(p.data.target ?? "") ?? ""}`,
              [{ name: "Persons", value: p.data.value }],
            )
          : tooltipLines(labels.get(p.data.name ?? "") ?? "", [{ name: "Persons", value: p.value }]),
    },
    series: [
      {
        type: "sankey",
        left: 8,
        right: compact ? 90 : 200,
        top: 8,
        bottom: 8,
        data: model.nodes.map((node) => ({ name: node.name })),
        links: model.links,
        nodeAlign: "justify",
        nodeWidth: 12,
        nodeGap: compact ? 6 : 10,
        layoutIterations: 32,
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", opacity: 0.35 },
        label: {
          color: INK,
          fontSize: compact ? 10 : 12,
          width: compact ? 80 : 190,
          overflow: "truncate",
          formatter: (p: { name: string }) => tooltipText(labels.get(p.name) ?? p.name),
        },
      },
    ],
  };
}
