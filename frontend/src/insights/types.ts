// The insight query kinds of POST /query/ and their answers, as the server's pydantic models
// (src/hedgerow/api/query_models.py, query_body.py) and docs/queries.md describe them.

import type { Person, PropertyFilter } from "../lib/types";

export type Interval = "hour" | "day" | "week" | "month";

export const MATHS = [
  "total",
  "dau",
  "weekly_active",
  "monthly_active",
  "unique_session",
  "sum",
  "avg",
  "min",
  "max",
  "median",
  "p75",
  "p90",
  "p95",
  "p99",
] as const;
export type Math = (typeof MATHS)[number];
/** The maths that aggregate a numeric property (`math_property`). */
export const PROPERTY_MATHS: readonly Math[] = [
  "sum",
  "avg",
  "min",
  "max",
  "median",
  "p75",
  "p90",
  "p95",
  "p99",
];

export interface PropertyGroup {
  type: "AND" | "OR";
  values: (PropertyFilter | PropertyGroup)[];
}
export type Properties = PropertyFilter[] | PropertyGroup;

export interface DateRange {
  date_from?: string | null;
  date_to?: string | null;
  explicitDate?: boolean | null;
}

interface SeriesFields {
  properties?: PropertyFilter[];
  math?: Math;
  math_property?: string;
  math_property_type?: "event_properties" | "person_properties";
  custom_name?: string;
}

export interface EventsNode extends SeriesFields {
  kind: "EventsNode";
  /** An event name; null for all events. */
  event: string | null;
}

export interface ActionsNode extends SeriesFields {
  kind: "ActionsNode";
  id: number;
}

export type SeriesNode = EventsNode | ActionsNode;

export type BreakdownType = "event" | "person";

export interface BreakdownFilter {
  breakdown?: string | null;
  breakdown_type?: BreakdownType | null;
  breakdown_limit?: number;
  breakdown_hide_other_aggregation?: boolean;
}

export interface CompareFilter {
  compare?: boolean;
  compare_to?: string;
}

export const TRENDS_DISPLAYS = [
  "ActionsLineGraph",
  "ActionsLineGraphCumulative",
  "ActionsBar",
  "ActionsStackedBar",
  "ActionsAreaGraph",
  "BoldNumber",
  "ActionsPie",
  "ActionsTable",
  "ActionsBarValue",
] as const;
export type TrendsDisplay = (typeof TRENDS_DISPLAYS)[number];
/** What each display is called: in the chart-type picker and in the chart's accessible name. */
export const DISPLAY_LABELS: Record<TrendsDisplay, string> = {
  ActionsLineGraph: "Line chart",
  ActionsLineGraphCumulative: "Cumulative line chart",
  ActionsBar: "Bar chart",
  ActionsStackedBar: "Stacked bar chart",
  ActionsAreaGraph: "Area chart",
  BoldNumber: "Number",
  ActionsPie: "Pie chart",
  ActionsTable: "Table",
  ActionsBarValue: "Bar chart of totals",
};
/** Displays that show one value per series over the whole range (`aggregated_value`). */
export const TOTAL_VALUE_DISPLAYS: readonly TrendsDisplay[] = [
  "BoldNumber",
  "ActionsPie",
  "ActionsTable",
  "ActionsBarValue",
];

export interface FormulaNode {
  formula: string;
  custom_name?: string;
}

export interface TrendsFilter {
  display?: TrendsDisplay;
  formulaNodes?: FormulaNode[];
}

export interface TrendsQuery {
  kind: "TrendsQuery";
  series: SeriesNode[];
  interval?: Interval;
  dateRange?: DateRange;
  properties?: Properties;
  breakdownFilter?: BreakdownFilter;
  compareFilter?: CompareFilter;
  trendsFilter?: TrendsFilter;
}

export type FunnelOrder = "ordered" | "strict" | "unordered";
export type WindowUnit = "second" | "minute" | "hour" | "day" | "week" | "month";
/** Conversion steps, or a histogram of the times to convert (the server answers each). */
export type FunnelViz = "steps" | "time_to_convert";

export interface FunnelsFilter {
  funnelOrderType?: FunnelOrder;
  funnelVizType?: FunnelViz;
  funnelWindowInterval?: number;
  funnelWindowIntervalUnit?: WindowUnit;
  /** Time to convert: from and to which step (0 is the first; default first and last). */
  funnelFromStep?: number;
  funnelToStep?: number;
  /** Time to convert: the number of bins (default from the data). */
  binCount?: number;
}

export interface FunnelsQuery {
  kind: "FunnelsQuery";
  series: SeriesNode[];
  dateRange?: DateRange;
  properties?: Properties;
  breakdownFilter?: BreakdownFilter;
  funnelsFilter?: FunnelsFilter;
}

export interface RetentionEntity {
  id: string | number | null;
  type: "events" | "actions";
  name?: string;
  properties?: PropertyFilter[];
}

export type RetentionPeriod = "Hour" | "Day" | "Week" | "Month";
export type RetentionType = "retention_recurring" | "retention_first_time";

export interface RetentionFilter {
  targetEntity?: RetentionEntity;
  returningEntity?: RetentionEntity;
  retentionType?: RetentionType;
  period?: RetentionPeriod;
  totalIntervals?: number;
  meanRetentionCalculation?: "weighted" | "simple" | "none";
}

export interface RetentionQuery {
  kind: "RetentionQuery";
  retentionFilter?: RetentionFilter;
  dateRange?: DateRange;
  properties?: Properties;
  breakdownFilter?: BreakdownFilter;
}

export interface LifecycleQuery {
  kind: "LifecycleQuery";
  series: SeriesNode[];
  interval?: Interval;
  dateRange?: DateRange;
  properties?: Properties;
}

export interface StickinessQuery {
  kind: "StickinessQuery";
  series: SeriesNode[];
  interval?: Interval;
  dateRange?: DateRange;
  properties?: Properties;
}

export type PathEventType = "$pageview" | "$screen" | "custom_event";

export interface PathCleaningFilter {
  regex: string;
  alias: string;
}

export interface PathsFilter {
  includeEventTypes?: PathEventType[];
  startPoint?: string;
  endPoint?: string;
  stepLimit?: number;
  edgeLimit?: number;
  minEdgeWeight?: number;
  maxEdgeWeight?: number;
  excludeEvents?: string[];
  localPathCleaningFilters?: PathCleaningFilter[];
}

export interface PathsQuery {
  kind: "PathsQuery";
  pathsFilter?: PathsFilter;
  dateRange?: DateRange;
  properties?: Properties;
}

export interface HogQLQuery {
  kind: "HogQLQuery";
  query: string;
}

export type InsightQuery =
  | TrendsQuery
  | FunnelsQuery
  | RetentionQuery
  | LifecycleQuery
  | StickinessQuery
  | PathsQuery
  | HogQLQuery;
export type InsightKind = InsightQuery["kind"];

/** A point of a trends, lifecycle, stickiness or retention insight. */
export interface InsightActorsQuery {
  kind: "InsightActorsQuery";
  source: TrendsQuery | LifecycleQuery | StickinessQuery | RetentionQuery;
  day?: string | number;
  series?: number;
  breakdown?: string | number;
  compare?: "current" | "previous";
  status?: LifecycleStatus;
  interval?: number;
  period?: number;
}

/** A funnel step: `funnelStep` k reached step k (1 first), -k dropped off before step k. */
export interface FunnelsActorsQuery {
  kind: "FunnelsActorsQuery";
  source: FunnelsQuery;
  funnelStep: number;
  funnelStepBreakdown?: string | number;
}

export type ActorsSource = InsightActorsQuery | FunnelsActorsQuery;

export interface ActorsQuery {
  kind: "ActorsQuery";
  source: ActorsSource;
  search?: string;
  limit?: number;
  offset?: number;
}

export interface ActorsResponse {
  columns: string[];
  results: [Person, number | null][];
  total: number;
  hasMore: boolean;
  limit: number;
  offset: number;
}

// ---- Answers --------------------------------------------------------------------------

/** Fields every insight answer has (the cache fields once insights-api is merged). */
export interface CachedAnswer {
  timezone?: string;
  is_cached?: boolean;
  last_refresh?: string;
  cache_key?: string;
}

export interface TrendsResult {
  label: string;
  count: number;
  data: number[];
  days: string[];
  labels: string[];
  aggregated_value?: number;
  breakdown_value?: string | number;
  compare?: boolean;
  compare_label?: "current" | "previous";
  action?: { order?: number; custom_name?: string | null; name?: string } | null;
}

export interface TrendsResponse extends CachedAnswer {
  results: TrendsResult[];
}

export interface FunnelStep {
  action_id: string | number | null;
  name: string;
  custom_name?: string | null;
  order: number;
  count: number;
  conversion_rate_from_first_step: number;
  conversion_rate_from_previous_step: number;
  average_conversion_time: number | null;
  median_conversion_time: number | null;
  breakdown_value?: string | number | (string | number)[];
}

/** Time to convert: `[seconds_from, persons]` per bin, and the mean time in seconds. */
export interface TimeToConvertResults {
  bins: [number, number][];
  average_conversion_time: number | null;
}

export interface FunnelsResponse extends CachedAnswer {
  results: FunnelStep[] | FunnelStep[][];
}


export interface RetentionCell {
  count: number;
  percentage: number;
  label: string;
}

export interface RetentionRow {
  date: string;
  label: string;
  people_count: number;
  values: RetentionCell[];
  breakdown_value?: string | number | null;
}

export interface RetentionMean {
  breakdown_value: string | number | null;
  label: string;
  data: (number | null)[];
}

export interface RetentionResponse extends CachedAnswer {
  results: RetentionRow[];
  means?: RetentionMean[];
}

export type LifecycleStatus = "new" | "returning" | "resurrecting" | "dormant";

export interface LifecycleResult extends TrendsResult {
  status: LifecycleStatus;
}

export interface LifecycleResponse extends CachedAnswer {
  results: LifecycleResult[];
}

export interface StickinessResult {
  label: string;
  count: number;
  data: number[];
  days: number[];
  labels: string[];
}

export interface StickinessResponse extends CachedAnswer {
  results: StickinessResult[];
}

export interface PathEdge {
  source: string;
  target: string;
  value: number;
}

export interface PathsResponse extends CachedAnswer {
  results: PathEdge[];
  dropoffs?: { node: string; step: number; value: number }[];
  hasMore?: boolean;
}

export interface HogQLResponse extends CachedAnswer {
  columns: string[];
  types?: (string | [string, string])[];
  results: unknown[][];
}
