// A dashboard's filters apply to every tile, on the client (docs/api.md, dashboards): a
// tile's query is its insight's query with the dashboard's date range in place of the
// insight's, and the dashboard's property filters added to the insight's own. SQL insights
// (HogQLQuery) choose their own range and filters in their text, so they run as saved.

import type { PropertyFilter } from "../lib/types";

/** `filters` of a dashboard (GET/PATCH dashboards/{id}/). */
export interface DashboardFilters {
  date_from: string | null;
  date_to: string | null;
  properties: PropertyFilter[];
}

export const NO_DASHBOARD_FILTERS: DashboardFilters = {
  date_from: null,
  date_to: null,
  properties: [],
};

interface DateRange {
  date_from?: string | null;
  date_to?: string | null;
  explicitDate?: boolean | null;
}

/** A group of filters joined by AND or OR, as insight queries accept for `properties`. */
interface FilterGroup {
  type: "AND" | "OR";
  values: unknown[];
}

/** What this module reads of an insight query; every other field passes untouched. */
export interface FilterableQuery {
  kind: string;
  dateRange?: DateRange | null;
  properties?: unknown[] | FilterGroup | null;
  /** A wrapper node (InsightVizNode) holds the query itself here. */
  source?: FilterableQuery;
}

/** Kinds whose range and filters live in their SQL text. */
const UNFILTERED_KINDS = new Set(["HogQLQuery"]);

/** Whether the dashboard's filters change anything (none set: tiles run their own queries). */
export function hasDashboardFilters(filters: DashboardFilters): boolean {
  return filters.date_from !== null || filters.date_to !== null || filters.properties.length > 0;
}

function withDateRange(range: DateRange | null | undefined, filters: DashboardFilters): DateRange | null | undefined {
  if (filters.date_from !== null) {
    // The dashboard's range is the whole range: its end is "now" when it names none.
    return { date_from: filters.date_from, date_to: filters.date_to };
  }
  if (filters.date_to !== null) return { ...range, date_to: filters.date_to };
  return range;
}

function withProperties(
  own: unknown[] | FilterGroup | null | undefined,
  added: PropertyFilter[],
): unknown[] | FilterGroup | null | undefined {
  if (added.length === 0) return own;
  if (own === null || own === undefined) return [...added];
  if (Array.isArray(own)) return [...own, ...added];
  // A group (perhaps OR): it must still hold, and so must each of the dashboard's filters.
  return { type: "AND", values: [own, ...added] };
}

/**
 * The query a dashboard tile runs: `query` with the dashboard's `filters` applied. The same
 * object comes back when nothing applies, so a tile and its insight share cached results.
 */
export function applyDashboardFilters<Q extends FilterableQuery>(query: Q, filters: DashboardFilters): Q {
  if (!hasDashboardFilters(filters) || UNFILTERED_KINDS.has(query.kind)) return query;
  if (query.source !== undefined && typeof query.source === "object") {
    return { ...query, source: applyDashboardFilters(query.source, filters) };
  }
  const applied: Q = { ...query };
  const dateRange = withDateRange(query.dateRange, filters);
  if (dateRange !== undefined) applied.dateRange = dateRange;
  const properties = withProperties(query.properties, filters.properties);
  if (properties !== undefined) applied.properties = properties;
  return applied;
}
