// The numbers behind a cartesian chart as a table: visually hidden beside the canvas (for
// screen readers), or shown as the chart itself for the table display.

import type { CartesianModel } from "./chartModel";
import { formatNumber } from "./format";

interface Props {
  model: CartesianModel;
  caption: string;
  hidden?: boolean;
}

export function DataTable({ model, caption, hidden = true }: Props) {
  return (
    <div className={hidden ? "visually-hidden" : "table-scroll insight-table"}>
      <table className="data-table">
        <caption className={hidden ? undefined : "visually-hidden"}>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Series</th>
            {model.pointLabels.map((label, index) => (
              <th scope="col" key={index}>
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {model.series.map((series, index) => (
            <tr key={index}>
              <th scope="row">{series.name}</th>
              {series.data.map((value, i) => (
                <td key={i} className="numeric">
                  {formatNumber(value)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "Line chart of 2 series: A, B" (names are plain text in an attribute). */
export function chartLabel(kind: string, names: string[]): string {
  const count = `${names.length} series`;
  return names.length ? `${kind} of ${count}: ${names.join(", ")}` : `${kind}: no data`;
}
