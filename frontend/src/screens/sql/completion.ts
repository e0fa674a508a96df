// Completion of table, column, property and function names at a position in a query: a
// pure function of the text, so it is unit-tested without an editor (sqlEditor.ts wires it
// into CodeMirror, next to lang-sql's keyword completion).

import { quoteName, type SqlCatalog, type SqlColumn, type SqlTable } from "./catalog";

export type CompletionKind = "table" | "column" | "property" | "function";

export interface SqlCompletion {
  label: string;
  kind: CompletionKind;
  /** What is inserted, when it differs from the label (a quoted name). */
  apply?: string;
  detail?: string;
  /** Order among equally good matches (higher first). */
  boost?: number;
}

export interface SqlCompletions {
  /** Where the replaced word starts. */
  from: number;
  /** Whether the cursor follows a `.` (complete without being asked). */
  afterDot: boolean;
  options: SqlCompletion[];
}

const SEGMENT = String.raw`(?:[A-Za-z_$][A-Za-z0-9_$]*|\x60(?:[^\x60\\]|\\.)*\x60)`;
const PATH_BEFORE = new RegExp(String.raw`(?:${SEGMENT}\.)*[A-Za-z0-9_$]*$`);
const SEGMENTS = new RegExp(SEGMENT, "g");
const NOT_ALIAS = new Set(
  `where join left right inner full cross any all semi anti asof on using group order limit
  having union as settings prewhere array final sample with select offset format window`.split(/\s+/),
);

function unquote(segment: string): string {
  if (!segment.startsWith("`")) return segment;
  return segment.slice(1, -1).replace(/\\(.)/g, "$1");
}

/** The tables a query reads, by the names it can be qualified with (alias or table name),
 * in the order they appear. */
export function tablesInQuery(text: string, tables: SqlTable[]): Map<string, SqlTable> {
  const byName = new Map(tables.map((t) => [t.name.toLowerCase(), t]));
  const found = new Map<string, SqlTable>();
  const pattern = /\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+(?:as\s+)?([A-Za-z_][A-Za-z0-9_]*))?/gi;
  for (const match of text.matchAll(pattern)) {
    const table = byName.get((match[1] ?? "").toLowerCase());
    if (!table) continue;
    found.set(table.name, table);
    const alias = match[2];
    if (alias && !NOT_ALIAS.has(alias.toLowerCase())) found.set(alias, table);
  }
  return found;
}

function columnOptions(table: SqlTable, prefix: string): SqlCompletion[] {
  const options: SqlCompletion[] = [];
  const seen = new Set<string>();
  for (const column of table.columns) {
    if (!column.name.startsWith(prefix)) continue;
    const rest = column.name.slice(prefix.length);
    if (seen.has(rest)) continue;
    seen.add(rest);
    options.push({ label: rest, kind: "column", detail: column.type });
  }
  return options;
}

function propertyOptions(column: SqlColumn, catalog: SqlCatalog): SqlCompletion[] {
  if (!column.properties) return [];
  const detail = column.properties === "person" ? "person property" : "event property";
  return catalog.propertyKeys[column.properties].map((key) => {
    const quoted = quoteName(key);
    const option: SqlCompletion = { label: key, kind: "property", detail };
    if (quoted !== key) option.apply = quoted;
    // The SDKs' own `$` properties come after the project's.
    if (key.startsWith("$")) option.boost = -1;
    return option;
  });
}

/** What a dotted path (`e.person.`) may continue with, in `table`. */
function afterPath(table: SqlTable, path: string[], catalog: SqlCatalog): SqlCompletion[] | null {
  const joined = path.join(".");
  const column = table.columns.find((c) => c.name === joined);
  if (column) return column.properties ? propertyOptions(column, catalog) : null;
  const prefix = joined === "" ? "" : joined + ".";
  const options = columnOptions(table, prefix);
  return options.length > 0 ? options : null;
}

function topLevel(inQuery: Map<string, SqlTable>, catalog: SqlCatalog): SqlCompletion[] {
  const options: SqlCompletion[] = catalog.tables.map((t) => ({
    label: t.name,
    kind: "table",
    detail: "table",
  }));
  const read = new Set(inQuery.values());
  const fallback = catalog.tables.find((t) => t.name === "events");
  const sources = read.size > 0 ? [...read] : fallback ? [fallback] : [];
  const seen = new Set(options.map((o) => o.label));
  for (const table of sources) {
    for (const option of columnOptions(table, "")) {
      if (seen.has(option.label)) continue;
      seen.add(option.label);
      options.push(option);
    }
  }
  for (const name of catalog.functions) {
    if (seen.has(name)) continue;
    options.push({ label: name, kind: "function", detail: "function" });
  }
  return options;
}

/** Names that may be written at `pos` in `text`, or null when none fits there. */
export function completeSql(text: string, pos: number, catalog: SqlCatalog): SqlCompletions | null {
  const before = text.slice(0, pos);
  const path = PATH_BEFORE.exec(before)?.[0] ?? "";
  const word = /[A-Za-z0-9_$]*$/.exec(path)?.[0] ?? "";
  const segments = [...path.slice(0, path.length - word.length).matchAll(SEGMENTS)].map((m) => m[0]);
  const from = pos - word.length;
  if (/^[0-9]/.test(word)) return null;
  const qualifiers = segments.map(unquote);
  const inQuery = tablesInQuery(text, catalog.tables);

  if (qualifiers.length === 0) {
    return { from, afterDot: false, options: topLevel(inQuery, catalog) };
  }
  const [head = "", ...rest] = qualifiers;
  const byQualifier = inQuery.get(head) ?? catalog.tables.find((t) => t.name === head);
  const defaultTable =
    inQuery.values().next().value ?? catalog.tables.find((t) => t.name === "events");
  const [table, columnPath] = byQualifier ? [byQualifier, rest] : [defaultTable, qualifiers];
  if (!table) return null;
  const options = afterPath(table, columnPath, catalog);
  return options ? { from, afterDot: true, options } : null;
}
