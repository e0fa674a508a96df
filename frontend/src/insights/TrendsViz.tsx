// Trends: line, cumulative line, bar, stacked bar, area, bold number, pie and table.

import { useMemo } from "react";

import { barValueOption, cartesianOption, pieOption } from "./chartOptions";
import { chartLabel, DataTable } from "./DataTable";
import { EChart } from "./EChart";
import { formatNumber, formatPercent } from "./format";
import { pointActors } from "./actorsSource";
import { boldNumber, hasFormula, totalValues, trendsDisplay, trendsModel } from "./trendsData";
import { DISPLAY_LABELS, type ActorsSource, type TrendsQuery, type TrendsResponse } from "./types";

interface Props {
  query: TrendsQuery;
  response: TrendsResponse;
  compact: boolean;
  height: number | string;
  onPointClick?: (actors: ActorsSource) => void;
}

export function TrendsViz({ query, response, compact, height, onPointClick }: Props) {
  const display = trendsDisplay(query);
  if (display === "BoldNumber") return <BoldNumberViz response={response} compact={compact} />;
  if (display === "ActionsPie" || display === "ActionsTable" || display === "ActionsBarValue") {
    return <TotalsViz {...{ query, response, compact, height, onPointClick }} />;
  }
  return <SeriesViz {...{ query, response, compact, height, onPointClick }} />;
}

function SeriesViz({ query, response, compact, height, onPointClick }: Props) {
  const model = useMemo(() => trendsModel(query, response), [query, response]);
  const option = useMemo(() => cartesianOption(model, { compact }), [model, compact]);
  const label = chartLabel(DISPLAY_LABELS[trendsDisplay(query)], model.series.map((s) => s.name));
  const open = (seriesIndex: number, dataIndex: number) => {
    const series = model.series[seriesIndex];
    const day = series?.days?.[dataIndex];
    if (series && day !== undefined) onPointClick?.(pointActors(query, series.key, day));
  };
  return (
    <>
      <EChart option={option} label={label} height={height} onClick={(click) => open(click.seriesIndex, click.dataIndex)} />
      <DataTable model={model} caption={label} compact={compact} onPoint={onPointClick ? open : undefined} />
    </>
  );
}

function TotalsViz({ query, response, compact, height, onPointClick }: Props) {
  const values = useMemo(() => totalValues(query, response), [query, response]);
  const barValue = trendsDisplay(query) === "ActionsBarValue";
  const option = useMemo(
    () => (barValue ? barValueOption(values, compact) : pieOption(values, compact)),
    [barValue, values, compact],
  );
  const canClick = !hasFormula(query);
  const open = (index: number) => {
    const value = values[index];
    if (value && canClick) onPointClick?.(pointActors(query, value.key, undefined));
  };
  if (trendsDisplay(query) === "ActionsTable") {
    return (
      <div className="table-scroll insight-table">
        <table className="data-table">
          <caption className="visually-hidden">{chartLabel("Table", values.map((v) => v.name))}</caption>
          <thead>
            <tr>
              <th scope="col">Series</th>
              <th scope="col" className="numeric">
                Value
              </th>
            </tr>
          </thead>
          <tbody>
            {values.map((value, index) => (
              <tr key={index}>
                <th scope="row">
                  {canClick && onPointClick ? (
                    <button type="button" className="link-button" onClick={() => open(index)}>
                      {value.name}
                    </button>
                  ) : (
                    value.name
                  )}
                </th>
                <td className="numeric">{formatNumber(value.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  const label = chartLabel(DISPLAY_LABELS[trendsDisplay(query)], values.map((v) => v.name));
  // Bars are drawn bottom-up: the clicked bar's index counts from the last value.
  const clicked = (index: number) => open(barValue ? values.length - 1 - index : index);
  return <EChart option={option} label={label} height={height} onClick={(click) => clicked(click.dataIndex)} />;
}

function BoldNumberViz({ response, compact }: { response: TrendsResponse; compact: boolean }) {
  const number = boldNumber(response);
  if (!number) return <p className="empty">No data for this range.</p>;
  const change = number.change;
  return (
    <figure className={compact ? "bold-number compact" : "bold-number"} aria-label="Number">
      <p className="bold-number-value">{formatNumber(number.value)}</p>
      {number.previous !== null && (
        <p className="bold-number-change">
          {change === null
            ? `Previous period: ${formatNumber(number.previous)}`
            : `${change >= 0 ? "Up" : "Down"} ${formatPercent(Math.abs(change))} from the previous period (${formatNumber(number.previous)})`}
        </p>
      )}
    </figure>
  );
}
