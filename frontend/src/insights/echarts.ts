// The one place ECharts is imported: only the charts and components the insights draw, with
// the canvas renderer, so the lazy insight chunk carries no more of the library than it uses.
// /web's world map adds the map series to this instance from its own chunk
// (screens/web/worldGeometry.ts), so no other screen loads it.

import { BarChart, LineChart, PieChart, SankeyChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  LineChart,
  PieChart,
  SankeyChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  CanvasRenderer,
]);

export { echarts };
