// The chart of any insight kind, from its query and the /query/ answer: the editor draws it
// large, a dashboard tile draws it `compact`. Clicking a point gives its ActorsQuery source.

import { memo, useMemo } from "react";

import { pointActors } from "./actorsSource";
import { cartesianOption, sankeyOption } from "./chartOptions";
import type { CartesianModel } from "./chartModel";
import { chartLabel, DataTable } from "./DataTable";
import { EChart } from "./EChart";
import { FunnelViz } from "./FunnelViz";
import { isTimeToConvert } from "./funnelTimeData";
import { lifecycleModel, stickinessModel } from "./kindsData";
import { sankeyModel } from "./pathsData";
import { RetentionViz } from "./RetentionViz";
import { SqlTable } from "./SqlTable";
import { TrendsViz } from "./TrendsViz";
import type {
  ActorsSource,
  FunnelsResponse,
  HogQLResponse,
  InsightQuery,
  LifecycleQuery,
  LifecycleResponse,
  PathsResponse,
  RetentionResponse,
  StickinessQuery,
  StickinessResponse,
  TrendsResponse,
} from "./types";
import "./insights.css";

export interface InsightVizProps {
  query: InsightQuery;
  response: unknown;
  compact?: boolean;
  onPointClick?: (actors: object) => void;
}

function hasResults(response: unknown): boolean {
  if (typeof response !== "object" || response === null) return false;
  const results = (response as { results?: unknown }).results;
  return Array.isArray(results) || isTimeToConvert(results);
}

/**
 * Memoized: a dashboard renders all its tiles again each time one tile's answer arrives, and
 * a tile whose query and answer are the same objects as before has nothing new to draw.
 */
export const InsightViz = memo(function InsightViz({ query, response, compact = false, onPointClick }: InsightVizProps) {
  const height = compact ? "100%" : 360;
  const click = onPointClick as ((actors: ActorsSource) => void) | undefined;
  if (!hasResults(response)) return <p className="empty">No results yet.</p>;
  const results = (response as { results: unknown }).results;
  if (Array.isArray(results) && results.length === 0 && query.kind !== "HogQLQuery") {
    return <p className="empty">No data for this insight in this date range.</p>;
  }
  const common = { compact, height, onPointClick: click };
  switch (query.kind) {
    case "TrendsQuery":
      return <TrendsViz query={query} response={response as TrendsResponse} {...common} />;
    case "FunnelsQuery":
      return <FunnelViz query={query} response={response as FunnelsResponse} {...common} />;
    case "RetentionQuery":
      return <RetentionViz query={query} response={response as RetentionResponse} {...common} />;
    case "LifecycleQuery":
    case "StickinessQuery":
      return <BarsViz query={query} response={response as LifecycleResponse | StickinessResponse} {...common} />;
    case "PathsQuery":
      return <PathsViz response={response as PathsResponse} compact={compact} height={height} />;
    case "HogQLQuery":
      return <SqlTable response={response as HogQLResponse} compact={compact} />;
  }
});

interface BarsProps {
  query: LifecycleQuery | StickinessQuery;
  response: LifecycleResponse | StickinessResponse;
  compact: boolean;
  height: number | string;
  onPointClick?: (actors: ActorsSource) => void;
}

/** Lifecycle (stacked, dormant below zero) and stickiness bars. */
function BarsViz({ query, response, compact, height, onPointClick }: BarsProps) {
  const model: CartesianModel = useMemo(
    () =>
      query.kind === "LifecycleQuery"
        ? lifecycleModel(query, response as LifecycleResponse)
        : stickinessModel(response as StickinessResponse),
    [query, response],
  );
  const option = useMemo(() => cartesianOption(model, { compact }), [model, compact]);
  const kind = query.kind === "LifecycleQuery" ? "Lifecycle chart" : "Stickiness chart";
  const label = chartLabel(kind, model.series.map((s) => s.name));
  const open = (seriesIndex: number, dataIndex: number) => {
    const series = model.series[seriesIndex];
    const day = series?.days?.[dataIndex];
    if (series && day !== undefined) onPointClick?.(pointActors(query, series.key, day));
  };
  return (
    <>
      <EChart option={option} label={label} height={height} onClick={(c) => open(c.seriesIndex, c.dataIndex)} />
      <DataTable model={model} caption={label} compact={compact} onPoint={onPointClick ? open : undefined} />
    </>
  );
}

function PathsViz({ response, compact, height }: { response: PathsResponse; compact: boolean; height: number | string }) {
  const model = useMemo(() => sankeyModel(response.results), [response]);
  const option = useMemo(() => sankeyOption(model, compact), [model, compact]);
  const steps = new Set(model.nodes.map((n) => n.step)).size;
  return (
    <>
      <EChart
        option={option}
        label={`Paths diagram of ${model.links.length} moves over ${steps} steps`}
        height={compact ? height : Math.max(420, model.nodes.length * 14)}
      />
      <div className="visually-hidden">
        <table>
          <caption>Paths</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Persons</th>
            </tr>
          </thead>
          <tbody>
            {model.links.map((link, i) => (
              <tr key={i}>
                <td>{link.source}</td>
                <td>{link.target}</td>
                <td>{link.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
