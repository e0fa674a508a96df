// Funnels: converted and dropped-off bars per step (one converted series per breakdown
// value), a table of conversion and drop-off, and the time-to-convert view.

import { useMemo } from "react";

import { funnelActors } from "./actorsSource";
import { cartesianOption } from "./chartOptions";
import { chartLabel } from "./DataTable";
import { EChart } from "./EChart";
import { formatDuration, formatNumber, formatPercent } from "./format";
import { funnelBreakdowns, funnelModel, timeModel, type FunnelBreakdown } from "./funnelData";
import type { ActorsSource, FunnelsQuery, FunnelsResponse } from "./types";

interface Props {
  query: FunnelsQuery;
  response: FunnelsResponse;
  compact: boolean;
  height: number | string;
  onPointClick?: (actors: ActorsSource) => void;
}

export function FunnelViz({ query, response, compact, height, onPointClick }: Props) {
  const groups = useMemo(() => funnelBreakdowns(response), [response]);
  const timeView = query.funnelsFilter?.hedgerowViz === "time_to_convert";
  const model = useMemo(() => (timeView ? timeModel(groups) : funnelModel(groups)), [groups, timeView]);
  const option = useMemo(
    () => cartesianOption(model, { compact, valueFormatter: timeView ? formatDuration : undefined }),
    [model, compact, timeView],
  );
  if (groups.length === 0) return <p className="empty">No persons entered this funnel.</p>;
  const label = chartLabel(timeView ? "Time to convert chart" : "Funnel chart", model.series.map((s) => s.name));
  return (
    <>
      <EChart
        option={option}
        label={label}
        height={height}
        onClick={(click) => {
          if (timeView) return;
          const series = model.series[click.seriesIndex];
          const step = series?.days?.[click.dataIndex];
          if (typeof step !== "number" || step === 0 || step === -1) return;
          const breakdown = series?.key.breakdown;
          onPointClick?.(funnelActors(query, Math.abs(step), step < 0, breakdown));
        }}
      />
      {!compact && <FunnelTable groups={groups} />}
    </>
  );
}

function FunnelTable({ groups }: { groups: FunnelBreakdown[] }) {
  return (
    <div className="table-scroll insight-table">
      <table className="data-table">
        <caption className="visually-hidden">Funnel steps</caption>
        <thead>
          <tr>
            {groups.length > 1 && <th scope="col">Breakdown</th>}
            <th scope="col">Step</th>
            <th scope="col" className="numeric">Persons</th>
            <th scope="col" className="numeric">Conversion</th>
            <th scope="col" className="numeric">From previous</th>
            <th scope="col" className="numeric">Dropped off</th>
            <th scope="col" className="numeric">Median time</th>
          </tr>
        </thead>
        <tbody>
          {groups.flatMap((group, g) =>
            group.steps.map((step) => (
              <tr key={`${g}-${step.step}`}>
                {groups.length > 1 && <td>{group.label}</td>}
                <th scope="row">
                  {step.step}. {step.name}
                </th>
                <td className="numeric">{formatNumber(step.count)}</td>
                <td className="numeric">{formatPercent(step.conversionFromFirst)}</td>
                <td className="numeric">{formatPercent(step.conversionFromPrevious)}</td>
                <td className="numeric">{formatNumber(step.droppedOff)}</td>
                <td className="numeric">{formatDuration(step.medianTime)}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}
