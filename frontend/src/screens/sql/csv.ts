// A query result as CSV (RFC 4180): fields separated by commas, rows by CRLF, a field in
// double quotes when it holds a comma, a quote, a line break or edge spaces, with its
// quotes doubled. Captured values are hostile: a text that a spreadsheet would run as a
// formula (=, +, -, @, tab or carriage return first) gets a leading ' so it stays text,
// unless it is just a number like "-5".

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The text of one value: NULL is empty, objects and arrays are JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") {
    return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? "'" + value : value;
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  return JSON.stringify(value);
}

export function csvField(value: unknown): string {
  const text = cellText(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The header line and one line per row, each ending in CRLF. */
export function toCsv(columns: string[], rows: unknown[][]): string {
  const lines = [columns, ...rows].map((row) => row.map(csvField).join(","));
  return lines.map((line) => line + "\r\n").join("");
}

/** A file name for a download made now: `hedgerow-sql-2026-11-24-101500.csv`. */
export function csvFileName(now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace("T", "-").replace(/:/g, "");
  return `hedgerow-sql-${stamp}.csv`;
}
