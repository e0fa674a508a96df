// Funnels: converted and dropped-off bars per step (one converted series per breakdown
// value), a table of conversion and drop-off, and the time-to-convert view.

import { useMemo } from "react";

import { funnelActors } from "./actorsSource";
import { cartesianOption } from "./chartOptions";
import { chartLabel } from "./DataTable";
import { EChart } from "./EChart";
import { formatDuration, formatNumber, formatPercent } from "./format";
import { funnelBreakdowns, funnelModel, timeModel, timeUnit, type FunnelBreakdown } from "./funnelData";
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
  const unit = useMemo(() => timeUnit(groups), [groups]);
  const model = useMemo(() => (timeView ? timeModel(groups, unit) : funnelModel(groups)), [groups, timeView, unit]);
  const option = useMemo(
    () =>
      cartesianOption(
        model,
        timeView
          ? {
              compact,
              valueFormatter: (value) => `${formatNumber(value)} ${unit.suffix}`,
              tooltipFormatter: (value) => formatDuration(value * unit.seconds),
            }
          : { compact },
      ),
    [model, compact, timeView, unit],
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
      {!compact && (
        <FunnelTable
          groups={groups}
          onStep={
            onPointClick &&
            ((step, dropped, breakdown) => onPointClick(funnelActors(query, step, dropped, breakdown)))
          }
        />
      )}
    </>
  );
}

type OnStep = (step: number, dropped: boolean, breakdown: string | number | undefined) => void;

/** A count, as a button opening its persons when there are any. */
function PersonsCell({ count, label, open }: { count: number; label: string; open?: () => void }) {
  if (!open || count <= 0) return <td className="numeric">{formatNumber(count)}</td>;
  return (
    <td className="numeric">
      <button type="button" className="link-button" aria-label={`${formatNumber(count)}: ${label}`} onClick={open}>
        {formatNumber(count)}
      </button>
    </td>
  );
}

function FunnelTable({ groups, onStep }: { groups: FunnelBreakdown[]; onStep?: OnStep }) {
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
                <PersonsCell
                  count={step.count}
                  label={`persons who reached step ${step.step}${group.label ? ` (${group.label})` : ""}`}
                  open={onStep && (() => onStep(step.step, false, group.value))}
                />
                <td className="numeric">{formatPercent(step.conversionFromFirst)}</td>
                <td className="numeric">{formatPercent(step.conversionFromPrevious)}</td>
                <PersonsCell
                  count={step.droppedOff}
                  label={`persons who dropped off before step ${step.step}${group.label ? ` (${group.label})` : ""}`}
                  open={onStep && (() => onStep(step.step, true, group.value))}
                />
                <td className="numeric">{formatDuration(step.medianTime)}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}
