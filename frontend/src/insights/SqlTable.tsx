// A SQL insight's answer as a table (the first 500 rows; the SQL screen shows all of them).

import { formatNumber } from "./format";
import type { HogQLResponse } from "./types";

const MAX_ROWS = 500;

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export function SqlTable({ response, compact }: { response: HogQLResponse; compact: boolean }) {
  const rows = response.results.slice(0, MAX_ROWS);
  const numeric = response.columns.map((_, c) => rows.length > 0 && rows.every((row) => typeof row[c] === "number"));
  return (
    <div className={compact ? "table-scroll insight-table compact" : "table-scroll insight-table"}>
      <table className="data-table">
        <caption className="visually-hidden">Query result</caption>
        <thead>
          <tr>
            {response.columns.map((column, i) => (
              <th scope="col" key={i} className={numeric[i] ? "numeric" : undefined}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r}>
              {row.map((value, c) => {
                const text = cellText(value);
                return (
                  <td key={c} className={typeof value === "number" ? "numeric" : undefined} title={text}>
                    {text}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {response.results.length > MAX_ROWS && (
        <p className="muted">
          Showing {MAX_ROWS} of {formatNumber(response.results.length)} rows.
        </p>
      )}
    </div>
  );
}
