// One WebStatsTableQuery as a table: the breakdown value, visitors, views (and the bounce
// rate for pages), a bar of each row's share of the top row's visitors. A click on a row
// (or its button, from the keyboard) adds the row's filter to the page. The Countries tab
// draws the world map above its table.

import { formatNumber } from "../../insights/format";
import { BREAKDOWN_INFO, rowFilter, valueLabel, type Breakdown, type RowFilter } from "./breakdowns";
import { tableQuery } from "./webQueries";
import { formatRate, pairOf, tableColumns, type Pair, type TableResponse, type TableRow } from "./webFormat";
import type { WebState } from "./webState";
import { useWebQuery } from "./useWebQuery";
import { WorldMap } from "./WorldMap";

interface Props {
  projectId: number;
  state: WebState;
  breakdown: Breakdown;
  onFilter: (filter: RowFilter) => void;
}

function previousTitle([, previous]: Pair, format: (value: number | null) => string): string | undefined {
  return previous === null ? undefined : `Previous period: ${format(previous)}`;
}

export function StatsTable({ projectId, state, breakdown, onFilter }: Props) {
  const table = useWebQuery<TableResponse>(projectId, tableQuery(state, breakdown));
  const info = BREAKDOWN_INFO[breakdown];
  const response = table.data;
  if (table.error) {
    return (
      <p role="alert" className="error">
        Could not load {info.tab.toLowerCase()}: {table.error.message}
      </p>
    );
  }
  if (!response) return <p className="loading">Loading…</p>;
  if (response.results.length === 0) return <p className="web-empty">{info.empty}</p>;

  const columns = tableColumns(response.columns);
  const top = Math.max(1, ...response.results.map((row) => pairOf(row, columns.visitors)[0] ?? 0));
  const select = (row: TableRow) => onFilter(rowFilter(breakdown, row[0]));

  return (
    <div aria-busy={table.isFetching}>
      {breakdown === "Country" && (
        <WorldMap response={response} onCountry={(code) => onFilter(rowFilter("Country", code))} />
      )}
      <div className="table-scroll web-table-scroll">
        <table className="data-table web-table">
          <caption className="visually-hidden">{info.tab} by visitors; choose a row to filter the page by it</caption>
          <thead>
            <tr>
              <th scope="col">{info.column}</th>
              <th scope="col" className="numeric">
                Visitors
              </th>
              <th scope="col" className="numeric">
                Views
              </th>
              {columns.bounceRate !== null && (
                <th scope="col" className="numeric web-bounce">
                  Bounce rate
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {response.results.map((row, index) => {
              const visitors = pairOf(row, columns.visitors);
              const views = pairOf(row, columns.views);
              const bounce = pairOf(row, columns.bounceRate);
              const label = valueLabel(breakdown, row[0]);
              const share = Math.round((100 * (visitors[0] ?? 0)) / top);
              return (
                <tr key={index} className="web-row" onClick={() => select(row)}>
                  <th scope="row" className="web-value">
                    <span className="web-share" style={{ width: `${share}%` }} aria-hidden="true" />
                    <button
                      type="button"
                      className={row[0] === null ? "web-row-button none" : "web-row-button"}
                      title={`Filter by ${info.column.toLowerCase()}: ${label}`}
                      onClick={(event) => {
                        event.stopPropagation();
                        select(row);
                      }}
                    >
                      {label}
                    </button>
                  </th>
                  <td className="numeric" title={previousTitle(visitors, formatNumber)}>
                    {formatNumber(visitors[0])}
                  </td>
                  <td className="numeric" title={previousTitle(views, formatNumber)}>
                    {formatNumber(views[0])}
                  </td>
                  {columns.bounceRate !== null && (
                    <td className="numeric" title={previousTitle(bounce, formatRate)}>
                      {formatRate(bounce[0])}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {response.hasMore && <p className="muted web-more">The top {response.results.length} by visitors.</p>}
    </div>
  );
}
