// Retention: the cohort table, each cell shaded by its percentage (a button that opens the
// cell's persons), and the mean retention curve.

import { useMemo } from "react";

import { retentionActors } from "./actorsSource";
import { cartesianOption } from "./chartOptions";
import { chartLabel } from "./DataTable";
import { EChart } from "./EChart";
import { formatNumber, formatPercent } from "./format";
import { cellShade, cohortDate, cohortGroups, periodCount, periodLabel, retentionCurve } from "./retentionData";
import type { ActorsSource, RetentionQuery, RetentionResponse } from "./types";

interface Props {
  query: RetentionQuery;
  response: RetentionResponse;
  compact: boolean;
  height: number | string;
  onPointClick?: (actors: ActorsSource) => void;
}

export function RetentionViz({ query, response, compact, height, onPointClick }: Props) {
  const period = query.retentionFilter?.period ?? "Day";
  const groups = useMemo(() => cohortGroups(response), [response]);
  const periods = periodCount(response);
  const curve = useMemo(() => retentionCurve(response, period), [response, period]);
  const option = useMemo(
    () => cartesianOption(curve, { compact, valueFormatter: (v) => formatPercent(v) }),
    [curve, compact],
  );
  if (groups.length === 0) return <p className="empty">No cohorts in this range.</p>;
  return (
    <div className="retention">
      {curve.series.length > 0 && (
        <EChart
          option={option}
          label={chartLabel("Retention curve", curve.series.map((s) => s.name))}
          height={compact ? "40%" : height}
        />
      )}
      <div className="table-scroll insight-table">
        <table className="data-table retention-table">
          <caption className="visually-hidden">Retention by cohort</caption>
          <thead>
            <tr>
              {groups.length > 1 && <th scope="col">Breakdown</th>}
              <th scope="col">Cohort</th>
              <th scope="col" className="numeric">Persons</th>
              {Array.from({ length: periods }, (_, i) => (
                <th scope="col" key={i} className="numeric">
                  {periodLabel(period, i)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {groups.flatMap((group, g) =>
              group.rows.map(({ row, interval }) => (
                <tr key={`${g}-${interval}`}>
                  {groups.length > 1 && <td>{group.label}</td>}
                  <th scope="row">{cohortDate(row.date, period)}</th>
                  <td className="numeric">{formatNumber(row.people_count)}</td>
                  {Array.from({ length: periods }, (_, p) => {
                    const cell = row.values[p];
                    if (!cell) return <td key={p} />;
                    const shade = cellShade(cell.percentage);
                    const text = formatPercent(cell.percentage);
                    return (
                      <td key={p} className="retention-cell numeric" style={shade}>
                        {onPointClick ? (
                          <button
                            type="button"
                            aria-label={`${text} (${formatNumber(cell.count)} persons) of the ${cohortDate(row.date, period)} cohort in ${periodLabel(period, p)}`}
                            onClick={() => onPointClick(retentionActors(query, interval, p, group.value))}
                          >
                            {text}
                          </button>
                        ) : (
                          text
                        )}
                      </td>
                    );
                  })}
                </tr>
              )),
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
