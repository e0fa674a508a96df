// What the SQL editor can complete: the tables and columns of GET /sql/schema/ (the
// server's own SQL schema), its functions, and the property keys of the definitions.

export type PropertyKind = "event" | "person";

export interface SqlColumn {
  name: string;
  type: string;
  properties: PropertyKind | null;
}

export interface SqlTable {
  name: string;
  columns: SqlColumn[];
}

/** The answer of `GET /api/projects/{id}/sql/schema/` (docs/sql.md). */
export interface SqlSchema {
  tables: SqlTable[];
  functions: string[];
}

export interface SqlCatalog extends SqlSchema {
  propertyKeys: Record<PropertyKind, string[]>;
}

export const EMPTY_CATALOG: SqlCatalog = {
  tables: [],
  functions: [],
  propertyKeys: { event: [], person: [] },
};

const PLAIN_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A name as a query writes it: bare when it can be, else in backquotes. */
export function quoteName(name: string): string {
  if (PLAIN_NAME.test(name)) return name;
  return "`" + name.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";
}
