// What /web asks POST query/: the tiles (WebOverviewQuery), visitors over time (TrendsQuery),
// each table (WebStatsTableQuery), live visitors and the hosts (HogQLQuery), all from the
// page's state, with the page's filters and host. Pure, so the tests read the JSON.

import type { Interval, TrendsQuery } from "../../insights/types";
import { HOST_KEY, type Breakdown, type WebFilter } from "./breakdowns";
import type { WebState } from "./webState";

/** A property filter as the query kinds take it. */
export interface QueryFilter {
  type: WebFilter["type"];
  key: string;
  operator: "exact" | "is_not" | "is_not_set" | "is_cleaned_path_exact";
  value?: string | string[];
}

export const TABLE_LIMIT = 10;
/** The Countries tab also shades the map: every country, not the top 10. */
export const COUNTRY_LIMIT = 300;
export const LIVE_MINUTES = 5;

/** The properties whose rows path cleaning rewrites: their filters compare cleaned paths. */
const PATH_KEYS = ["$pathname", "$entry_pathname", "$end_pathname"];

/**
 * A filter of the page as a query property. With path cleaning on, a path's row holds the
 * cleaned path, so its filter is PostHog's `is_cleaned_path_exact` (the web queries' own).
 */
export function queryFilter(filter: WebFilter, pathCleaning = false): QueryFilter {
  const { type, key, values } = filter;
  if (values === null) return { type, key, operator: "is_not_set" };
  const operator = pathCleaning && PATH_KEYS.includes(key) ? "is_cleaned_path_exact" : "exact";
  return { type, key, operator, value: values.length === 1 ? (values[0] ?? "") : values };
}

function hostFilter(state: WebState): QueryFilter[] {
  return state.host ? [{ type: "event", key: HOST_KEY, operator: "exact", value: state.host }] : [];
}

/** The page's filters and its host as the web queries' properties. */
export function pageProperties(state: WebState): QueryFilter[] {
  return [...state.filters.map((f) => queryFilter(f, state.pathCleaning)), ...hostFilter(state)];
}

/**
 * Which of the page's filters the chart's TrendsQuery can apply: all of them (event, person
 * and session filters) except cleaned paths, which only the web queries compare (TrendsQuery
 * compares the raw path); the chart says which it leaves out.
 */
export function chartFilters(state: WebState): { applied: WebFilter[]; skipped: WebFilter[] } {
  const applies = (f: WebFilter) => !(state.pathCleaning && PATH_KEYS.includes(f.key) && f.values !== null);
  return { applied: state.filters.filter(applies), skipped: state.filters.filter((f) => !applies(f)) };
}

function dateRange(state: WebState): { date_from: string; date_to?: string } {
  return state.dateTo ? { date_from: state.dateFrom, date_to: state.dateTo } : { date_from: state.dateFrom };
}

export function overviewQuery(state: WebState): object {
  return {
    kind: "WebOverviewQuery",
    dateRange: dateRange(state),
    properties: pageProperties(state),
    compareFilter: { compare: state.compare },
  };
}

export function tableQuery(state: WebState, breakdown: Breakdown): object {
  return {
    kind: "WebStatsTableQuery",
    breakdownBy: breakdown,
    dateRange: dateRange(state),
    properties: pageProperties(state),
    compareFilter: { compare: state.compare },
    includeBounceRate: breakdown === "Page" || breakdown === "InitialPage",
    doPathCleaning: state.pathCleaning,
    limit: breakdown === "Country" ? COUNTRY_LIMIT : TABLE_LIMIT,
  };
}

const UNIT_DAYS: Record<string, number> = { h: 1 / 24, d: 1, w: 7, m: 30, q: 91, y: 365, M: 1 / 1440 };
const DAY_MS = 86_400_000;

/** How many days a range spans (an estimate for relative dates); null for all time. */
export function rangeDays(from: string, to: string | null, now: number = Date.now()): number | null {
  if (from === "all") return null;
  const relative = /^-?(\d+)([hdwmqyM])(Start|End)?$/.exec(from);
  if (relative) {
    // "-0yStart" (this year) spans up to a year: count the unit it snaps to as well.
    const units = Number(relative[1]) + (relative[3] === "Start" ? 1 : 0);
    const span = units * (UNIT_DAYS[relative[2] ?? "d"] ?? 1);
    return to ? span - (rangeDays(to, null, now) ?? 0) : span;
  }
  if (from === "today" || from === "dStart") return 1;
  const start = Date.parse(from);
  const end = to ? Date.parse(to) + (/^\d{4}-\d{2}-\d{2}$/.test(to) ? DAY_MS : 0) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return 7;
  return Math.max(0, (end - start) / DAY_MS);
}

/** The chart's interval for a range: hours up to two days, days up to a quarter, then weeks, months. */
export function intervalFor(from: string, to: string | null, now: number = Date.now()): Interval {
  const days = rangeDays(from, to, now);
  if (days === null) return "month";
  if (days <= 2) return "hour";
  if (days <= 93) return "day";
  if (days <= 366) return "week";
  return "month";
}

/** Bots are left out of the tiles and tables by the server; the chart leaves them out too. */
const NOT_A_BOT: QueryFilter = { type: "event", key: "$virt_is_bot", operator: "is_not", value: "true" };

export function visitorsTrendQuery(state: WebState, now: number = Date.now()): TrendsQuery {
  return {
    kind: "TrendsQuery",
    series: [{ kind: "EventsNode", event: "$pageview", math: "dau", custom_name: "Visitors" }],
    interval: intervalFor(state.dateFrom, state.dateTo, now),
    dateRange: dateRange(state),
    properties: [
      ...chartFilters(state).applied.map((f) => queryFilter(f)),
      ...hostFilter(state),
      NOT_A_BOT,
    ] as TrendsQuery["properties"],
    compareFilter: { compare: state.compare },
    trendsFilter: { display: "ActionsLineGraph" },
  };
}

/** A HogQL string literal: the text between quotes, backslashes and quotes escaped. */
export function hogqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * Live visitors: the persons with a page view in the last five minutes, grouped by the page
 * of their latest one (the page they are on), with the total. Only the page's host; other
 * filters do not apply (who is here now, whatever the period looked at).
 */
export function liveQuery(host: string | null): object {
  const where = [
    "event = '$pageview'",
    `timestamp >= now() - INTERVAL ${LIVE_MINUTES} MINUTE`,
    "coalesce(toString(properties.$virt_is_bot), '') != 'true'",
  ];
  if (host) where.push(`properties.$host = ${hogqlString(host)}`);
  const condition = where.join(" AND ");
  return {
    kind: "HogQLQuery",
    query:
      `SELECT page, count() AS visitors, ` +
      `(SELECT count(DISTINCT person_id) FROM events WHERE ${condition}) AS total ` +
      `FROM (SELECT person_id, argMax(properties.$pathname, timestamp) AS page ` +
      `FROM events WHERE ${condition} GROUP BY person_id) ` +
      `GROUP BY page ORDER BY visitors DESC, page LIMIT 10`,
  };
}

/** The sites the project's page views came from in the last 30 days, most viewed first. */
export function hostsQuery(): object {
  return {
    kind: "HogQLQuery",
    query:
      "SELECT properties.$host AS host, count() AS views FROM events " +
      "WHERE event = '$pageview' AND timestamp >= now() - INTERVAL 30 DAY " +
      "AND properties.$host IS NOT NULL GROUP BY host ORDER BY views DESC, host LIMIT 50",
  };
}
