// The numbers behind a cartesian chart as a table. Beside a full-size chart it is a
// "Numbers behind the chart" disclosure whose values are buttons opening the point's
// persons (the keyboard's way to what a click on the canvas does); on a dashboard tile it
// is visually hidden, for screen readers.

import type { CartesianModel } from "./chartModel";
import { formatNumber } from "./format";

interface Props {
  model: CartesianModel;
  caption: string;
  compact: boolean;
  /** Open the persons of a point; only points with persons (a `days` entry) get a button. */
  onPoint?: (seriesIndex: number, dataIndex: number) => void;
}

export function DataTable({ model, caption, compact, onPoint }: Props) {
  const table = (
    <table className="data-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Series</th>
          {model.pointLabels.map((label, index) => (
            <th scope="col" key={index} className="numeric">
              {label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {model.series.map((series, s) => (
          <tr key={s}>
            <th scope="row">{series.name}</th>
            {series.data.map((value, i) => (
              <td key={i} className="numeric">
                {onPoint && !compact && series.days?.[i] !== undefined && value ? (
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`${formatNumber(value)}: persons of ${series.name}, ${model.pointLabels[i] ?? ""}`}
                    onClick={() => onPoint(s, i)}
                  >
                    {formatNumber(value)}
                  </button>
                ) : (
                  formatNumber(value)
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
  if (compact) return <div className="visually-hidden">{table}</div>;
  return (
    <details className="chart-data">
      <summary>Numbers behind the chart</summary>
      <div className="table-scroll insight-table">{table}</div>
    </details>
  );
}

/** "Line chart of 2 series: A, B" (names are plain text in an attribute). */
export function chartLabel(kind: string, names: string[]): string {
  const count = `${names.length} series`;
  return names.length ? `${kind} of ${count}: ${names.join(", ")}` : `${kind}: no data`;
}
