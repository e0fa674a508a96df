// The world map's code, loaded only when the Countries tab first shows the map: ECharts' map
// series and Natural Earth's 1:110m countries (world-atlas), registered under MAP_NAME.
// docs/frontend.md says why these packages.

import { MapChart } from "echarts/charts";
import type { Topology } from "topojson-specification";
import countries110m from "world-atlas/countries-110m.json";

import { echarts } from "../../insights/echarts";
import { MAP_NAME } from "./mapOption";
import { worldFeatures } from "./worldFeatures";

echarts.use([MapChart]);
type MapSource = Parameters<typeof echarts.registerMap>[1];
echarts.registerMap(MAP_NAME, worldFeatures(countries110m as unknown as Topology) as unknown as MapSource);

export const registered = true;
