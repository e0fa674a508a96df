// Funnels: converted and dropped-off bars per step (one converted series per breakdown
// value) with a table of conversion and drop-off; or the time-to-convert histogram.

import { useMemo } from "react";

import { funnelActors } from "./actorsSource";
import { cartesianOption } from "./chartOptions";
import { chartLabel, DataTable } from "./DataTable";
import { EChart } from "./EChart";
import { formatDuration, formatNumber, formatPercent } from "./format";
import { funnelBreakdowns, funnelModel, type FunnelBreakdown } from "./funnelData";
import { histogramBars, histogramModel, isTimeToConvert } from "./funnelTimeData";
import type { ActorsSource, FunnelsQuery, FunnelsResponse, TimeToConvertResults } from "./types";

interface Props {
  query: FunnelsQuery;
  response: FunnelsResponse;
  compact: boolean;
  height: number | string;
  onPointClick?: (actors: ActorsSource) => void;
}

export function FunnelViz({ query, response, compact, height, onPointClick }: Props) {
  const results: unknown = response.results;
  if (isTimeToConvert(results)) return <TimeToConvertViz result={results} compact={compact} height={height} />;
  return <StepsViz query={query} response={response} compact={compact} height={height} onPointClick={onPointClick} />;
}

function StepsViz({ query, response, compact, height, onPointClick }: Props) {
  const groups = useMemo(() => funnelBreakdowns(response), [response]);
  const model = useMemo(() => funnelModel(groups), [groups]);
  const option = useMemo(() => cartesianOption(model, { compact }), [model, compact]);
  if (groups.length === 0) return <p className="empty">No persons entered this funnel.</p>;
  const label = chartLabel("Funnel chart", model.series.map((s) => s.name));
  return (
    <>
      <EChart
        option={option}
        label={label}
        height={height}
        onClick={(click) => {
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

/** Persons per bar of time to convert, with the average time above the chart. */
function TimeToConvertViz({ result, compact, height }: { result: TimeToConvertResults; compact: boolean; height: number | string }) {
  const bars = useMemo(() => histogramBars(result), [result]);
  const model = useMemo(() => histogramModel(bars), [bars]);
  const option = useMemo(
    () => cartesianOption(model, { compact, axisNames: { x: "Time to convert", y: "Persons" } }),
    [model, compact],
  );
  const converted = bars.reduce((sum, bar) => sum + bar.persons, 0);
  if (converted === 0) return <p className="empty">Nobody converted in this date range.</p>;
  const label = `Time to convert histogram of ${bars.length} bars: ${formatNumber(converted)} persons`;
  return (
    <>
      {!compact && (
        <p className="funnel-average">
          Average time to convert: <strong>{formatDuration(result.average_conversion_time)}</strong> ({formatNumber(converted)}{" "}
          persons)
        </p>
      )}
      <EChart option={option} label={label} height={height} />
      <DataTable model={model} caption="Persons by time to convert" compact={compact} />
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
