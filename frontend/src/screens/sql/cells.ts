// How a result cell reads on screen: NULL apart, numbers to the right, objects as JSON.

export interface CellView {
  text: string;
  kind: "null" | "number" | "text";
}

export function cellView(value: unknown): CellView {
  if (value === null || value === undefined) return { text: "NULL", kind: "null" };
  if (typeof value === "number" || typeof value === "bigint") {
    return { text: String(value), kind: "number" };
  }
  if (typeof value === "string") return { text: value, kind: "text" };
  if (typeof value === "boolean") return { text: String(value), kind: "text" };
  return { text: JSON.stringify(value), kind: "text" };
}

const NUMERIC_TYPE = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

/** Whether a ClickHouse type holds numbers (their column is aligned right). */
export function isNumericType(type: string | undefined): boolean {
  return type !== undefined && NUMERIC_TYPE.test(type);
}

/** The note under a result: how many rows, and what to do when there were more. */
export function resultNote(rows: number, hasMore: boolean, limit: number): string {
  const count = `${rows.toLocaleString("en")} ${rows === 1 ? "row" : "rows"}`;
  if (!hasMore) return count;
  const why =
    limit >= 10_000
      ? "10,000 rows is the most a query returns; aggregate or filter to see the rest"
      : `the query returns ${limit.toLocaleString("en")} rows unless it says LIMIT (up to 10,000)`;
  return `${count} shown; there are more: ${why}.`;
}
