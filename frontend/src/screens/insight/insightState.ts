// The insight being edited lives in the address: `?q=<query JSON>`. A new insight starts from
// a default query of its kind; a saved one shows its stored query until it is edited.

import type { PropertyFilter } from "../../lib/types";
import type { FunnelsFilter, InsightKind, InsightQuery, SeriesNode } from "../../insights/types";

export const KIND_TABS: { kind: InsightKind; label: string }[] = [
  { kind: "TrendsQuery", label: "Trends" },
  { kind: "FunnelsQuery", label: "Funnels" },
  { kind: "RetentionQuery", label: "Retention" },
  { kind: "PathsQuery", label: "Paths" },
  { kind: "StickinessQuery", label: "Stickiness" },
  { kind: "LifecycleQuery", label: "Lifecycle" },
  { kind: "HogQLQuery", label: "SQL" },
];

const PAGEVIEW: SeriesNode = { kind: "EventsNode", event: "$pageview" };

export function defaultQuery(kind: InsightKind): InsightQuery {
  switch (kind) {
    case "TrendsQuery":
      return { kind, series: [{ ...PAGEVIEW }], interval: "day", dateRange: { date_from: "-7d" } };
    case "FunnelsQuery":
      return {
        kind,
        series: [{ ...PAGEVIEW }, { kind: "EventsNode", event: null }],
        dateRange: { date_from: "-7d" },
        funnelsFilter: { funnelWindowInterval: 14, funnelWindowIntervalUnit: "day" },
      };
    case "RetentionQuery":
      return {
        kind,
        retentionFilter: {
          targetEntity: { id: "$pageview", type: "events" },
          returningEntity: { id: "$pageview", type: "events" },
          retentionType: "retention_first_time",
          period: "Week",
          totalIntervals: 8,
        },
      };
    case "PathsQuery":
      return {
        kind,
        pathsFilter: { includeEventTypes: ["$pageview"], stepLimit: 5 },
        dateRange: { date_from: "-7d" },
      };
    case "StickinessQuery":
      return { kind, series: [{ ...PAGEVIEW }], interval: "day", dateRange: { date_from: "-30d" } };
    case "LifecycleQuery":
      return { kind, series: [{ ...PAGEVIEW }], interval: "week", dateRange: { date_from: "-30d" } };
    case "HogQLQuery":
      return {
        kind,
        query: "SELECT event, count() AS events\nFROM events\nGROUP BY event\nORDER BY events DESC\nLIMIT 20",
      };
  }
}

const KINDS = new Set(KIND_TABS.map((tab) => tab.kind));

/** The query in `?q=`, or null when it is absent or not an insight query. */
export function queryFromSearch(search: URLSearchParams): InsightQuery | null {
  const text = search.get("q");
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return null;
    const kind = (value as { kind?: unknown }).kind;
    return typeof kind === "string" && KINDS.has(kind as InsightKind) ? (value as InsightQuery) : null;
  } catch {
    return null;
  }
}

export function searchForQuery(query: InsightQuery): string {
  return "?" + new URLSearchParams({ q: JSON.stringify(query) }).toString();
}

function completeFilters(filters: PropertyFilter[] | undefined): PropertyFilter[] | undefined {
  if (!filters) return undefined;
  return filters.filter((filter) => filter.key.trim() !== "");
}

function cleanSeries(series: SeriesNode[]): SeriesNode[] {
  return series.map((node) => {
    const clean = { ...node, properties: completeFilters(node.properties) };
    if (!clean.properties?.length) delete clean.properties;
    if (!clean.custom_name) delete clean.custom_name;
    if (!clean.math_property) {
      delete clean.math_property;
      delete clean.math_property_type;
    }
    return clean;
  });
}

/**
 * What is sent to the server: filters still being typed (no property yet) and empty names
 * left out, so a half-made filter does not fail the query.
 */
export function runnableQuery(query: InsightQuery): InsightQuery {
  if (query.kind === "HogQLQuery") return query;
  const next = { ...query } as InsightQuery & { properties?: unknown; series?: SeriesNode[] };
  if (Array.isArray(next.properties)) {
    const properties = completeFilters(next.properties as PropertyFilter[]);
    if (properties?.length) next.properties = properties;
    else delete next.properties;
  }
  if (next.series) next.series = cleanSeries(next.series);
  if ("breakdownFilter" in next && next.breakdownFilter && !next.breakdownFilter.breakdown) {
    delete next.breakdownFilter;
  }
  if (next.kind === "FunnelsQuery" && next.funnelsFilter) {
    next.funnelsFilter = funnelStepsWithin(next.funnelsFilter, next.series.length);
  }
  if (next.kind === "TrendsQuery" && next.trendsFilter?.formulaNodes) {
    const nodes = next.trendsFilter.formulaNodes.filter((node) => node.formula.trim() !== "");
    next.trendsFilter = { ...next.trendsFilter, formulaNodes: nodes.length ? nodes : undefined };
  }
  return next;
}

/**
 * A time-to-convert funnel's from and to steps kept within its steps (0 is the first), the
 * from step before the to step: removing a step may leave them past the end.
 */
export function funnelStepsWithin(filter: FunnelsFilter, steps: number): FunnelsFilter {
  const next = { ...filter };
  const last = Math.max(1, steps - 1);
  if (next.funnelToStep !== undefined) next.funnelToStep = Math.max(1, Math.min(next.funnelToStep, last));
  const to = next.funnelToStep ?? last;
  if (next.funnelFromStep !== undefined) next.funnelFromStep = Math.max(0, Math.min(next.funnelFromStep, to - 1));
  return next;
}

/** Switching tabs keeps what carries over: the series (or first step) and the date range. */
export function switchKind(query: InsightQuery, kind: InsightKind): InsightQuery {
  const next = defaultQuery(kind);
  const series = "series" in query ? query.series : null;
  const dateRange = "dateRange" in query ? query.dateRange : undefined;
  if (series?.length && "series" in next) {
    if (kind === "LifecycleQuery") next.series = series.slice(0, 1);
    else if (kind === "FunnelsQuery" && series.length >= 2) next.series = series;
    else if (kind !== "FunnelsQuery") next.series = series;
  }
  if (dateRange && "dateRange" in next) next.dateRange = dateRange;
  return next;
}
