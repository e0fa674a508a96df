// An ECharts canvas inside a <figure>: drawn from an option, resized with its box, disposed
// when it goes. The figure's accessible name says what is drawn (kind and series), and the
// caller puts the data in a table beside it for screen readers.

import type { EChartsCoreOption } from "echarts/core";
import { useEffect, useLayoutEffect, useRef } from "react";

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
  const measured = useRef({ width: 0, height: 0 });

  // The box is measured in the layout phase, where every chart of a render reads its size
  // before any of them adds a canvas: measured while each was made, each would lay the page
  // out again (a dashboard of 8 tiles laid it out 8 times). It has no padding: its client
  // size is the chart's.
  useLayoutEffect(() => {
    const element = box.current;
    if (element) measured.current = { width: element.clientWidth, height: element.clientHeight };
  }, []);

  useEffect(() => {
    clickHandler.current = onClick;
  }, [onClick]);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    let { width, height } = measured.current;
    const instance = echarts.init(element, null, { renderer: "canvas", width, height });
    chart.current = instance;
    instance.on("click", (params) => {
      const p = params as unknown as ChartClick;
      clickHandler.current?.({ seriesIndex: p.seriesIndex, dataIndex: p.dataIndex, dataType: p.dataType });
    });
    // The observer reports the box once at the start, at the size the chart was just made
    // at: redrawing then would draw every chart twice. Only a change of size redraws.
    const observer = new ResizeObserver(() => {
      if (element.clientWidth === width && element.clientHeight === height) return;
      ({ clientWidth: width, clientHeight: height } = element);
      instance.resize({ width, height });
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
