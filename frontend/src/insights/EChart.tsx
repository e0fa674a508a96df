// An ECharts canvas inside a <figure>: drawn from an option, resized with its box, disposed
// when it goes. The figure's accessible name says what is drawn (kind and series), and the
// caller puts the data in a table beside it for screen readers.

import type { EChartsCoreOption } from "echarts/core";
import { useEffect, useRef } from "react";

import { echarts } from "./echarts";

export interface ChartClick {
  seriesIndex: number;
  dataIndex: number;
  dataType?: string;
}

interface Props {
  option: EChartsCoreOption;
  /** e.g. "Line chart of 2 series: Page views, Sign ups". */
  label: string;
  height: number | string;
  onClick?: (click: ChartClick) => void;
}

export function EChart({ option, label, height, onClick }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ReturnType<typeof echarts.init> | null>(null);
  const clickHandler = useRef(onClick);

  useEffect(() => {
    clickHandler.current = onClick;
  }, [onClick]);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const instance = echarts.init(element, null, { renderer: "canvas" });
    chart.current = instance;
    instance.on("click", (params) => {
      const p = params as unknown as ChartClick;
      clickHandler.current?.({ seriesIndex: p.seriesIndex, dataIndex: p.dataIndex, dataType: p.dataType });
    });
    // The observer reports the box once at the start, at the size the chart was just made
    // at: redrawing then would draw every chart twice. Only a change of size redraws.
    let size = `${element.clientWidth}x${element.clientHeight}`;
    const observer = new ResizeObserver(() => {
      const now = `${element.clientWidth}x${element.clientHeight}`;
      if (now === size) return;
      size = now;
      instance.resize();
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return (
    <figure className="insight-chart" aria-label={label} style={{ height }}>
      <div ref={box} className="insight-canvas" />
    </figure>
  );
}
