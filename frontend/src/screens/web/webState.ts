// The whole state of /web lives in the URL, so a link reproduces the view:
//   ?from=-30d&to=2026-12-01&compare=0&host=shop.example&clean=1
//    &f=event,$pathname,/pricing&f=session,$channel_type&pages=InitialPage&geo=City
// `f` is one value of a filter each: type, key and value (the rest of the text, commas and
// all); values of one key are one filter (any of them); an `f` without a value is "not set".
// Defaults are left out. Untrusted: anything that does not fit is dropped.

import { CARDS, HOST_KEY, type Breakdown, type CardId, type FilterSource, type RowFilter, type WebFilter } from "./breakdowns";

export const DEFAULT_FROM = "-7d";

export interface WebState {
  dateFrom: string;
  dateTo: string | null;
  /** Compare each number with the period of the same length just before. */
  compare: boolean;
  /** Only this site (`$host`), for projects that track several. */
  host: string | null;
  /** Apply the project's path cleaning rules to pages. */
  pathCleaning: boolean;
  filters: WebFilter[];
  /** The tab open in each card. */
  tabs: Record<CardId, Breakdown>;
}

export const DEFAULT_TABS = Object.fromEntries(CARDS.map((card) => [card.id, card.tabs[0]])) as Record<
  CardId,
  Breakdown
>;

export const DEFAULT_STATE: WebState = {
  dateFrom: DEFAULT_FROM,
  dateTo: null,
  compare: true,
  host: null,
  pathCleaning: false,
  filters: [],
  tabs: DEFAULT_TABS,
};

const SOURCES: FilterSource[] = ["event", "session", "person"];
const KEY = /^[$A-Za-z0-9_]+$/;

/** One `f` parameter: a property and one of its values (null: not set). */
export function parseFilter(text: string): RowFilter | null {
  const first = text.indexOf(",");
  if (first < 0) return null;
  const type = text.slice(0, first) as FilterSource;
  const rest = text.slice(first + 1);
  const second = rest.indexOf(",");
  const key = second < 0 ? rest : rest.slice(0, second);
  if (!SOURCES.includes(type) || !KEY.test(key) || key === HOST_KEY) return null;
  return { type, key, value: second < 0 ? null : rest.slice(second + 1) };
}

/** A filter's `f` parameters: one a value, or one without a value for "not set". */
export function formatFilter(filter: WebFilter): string[] {
  const head = `${filter.type},${filter.key}`;
  return filter.values === null ? [head] : filter.values.map((value) => `${head},${value}`);
}

function text(params: URLSearchParams, name: string): string | null {
  const value = params.get(name)?.trim();
  return value ? value : null;
}

export function stateFromParams(params: URLSearchParams): WebState {
  const filters: WebFilter[] = [];
  for (const raw of params.getAll("f")) {
    const one = parseFilter(raw);
    if (!one) continue;
    const found = filters.find((f) => sameKey(f, one));
    if (!found) filters.push({ type: one.type, key: one.key, values: one.value === null ? null : [one.value] });
    else if (found.values && one.value !== null && !found.values.includes(one.value)) found.values.push(one.value);
  }
  const tabs = { ...DEFAULT_TABS };
  for (const card of CARDS) {
    const tab = params.get(card.id) as Breakdown | null;
    if (tab && (card.tabs as readonly Breakdown[]).includes(tab)) tabs[card.id] = tab;
  }
  return {
    dateFrom: text(params, "from") ?? DEFAULT_FROM,
    dateTo: text(params, "to"),
    compare: params.get("compare") !== "0",
    host: text(params, "host"),
    pathCleaning: params.get("clean") === "1",
    filters,
    tabs,
  };
}

export function paramsFromState(state: WebState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.dateFrom !== DEFAULT_FROM) params.set("from", state.dateFrom);
  if (state.dateTo) params.set("to", state.dateTo);
  if (!state.compare) params.set("compare", "0");
  if (state.host) params.set("host", state.host);
  if (state.pathCleaning) params.set("clean", "1");
  for (const filter of state.filters) {
    for (const value of formatFilter(filter)) params.append("f", value);
  }
  for (const card of CARDS) {
    if (state.tabs[card.id] !== DEFAULT_TABS[card.id]) params.set(card.id, state.tabs[card.id]);
  }
  return params;
}

function sameKey(a: { type: string; key: string }, b: { type: string; key: string }): boolean {
  return a.type === b.type && a.key === b.key;
}

/**
 * The state after a click on a row (as PostHog's web analytics): a new property adds a
 * filter; a value already selected is taken out again (the filter goes with its last value);
 * another value of a filtered property joins it (either value); "not set" replaces values,
 * and a value replaces "not set".
 */
export function toggleFilter(state: WebState, row: RowFilter): WebState {
  const index = state.filters.findIndex((f) => sameKey(f, row));
  const current = state.filters[index];
  const fresh: WebFilter = { type: row.type, key: row.key, values: row.value === null ? null : [row.value] };
  if (!current) return { ...state, filters: [...state.filters, fresh] };
  const next = toggled(current, row.value, fresh);
  const filters = state.filters.flatMap((f, i) => (i !== index ? [f] : next ? [next] : []));
  return { ...state, filters };
}

function toggled(current: WebFilter, value: string | null, fresh: WebFilter): WebFilter | null {
  if (value === null || current.values === null) {
    return value === null && current.values === null ? null : fresh;
  }
  if (current.values.includes(value)) {
    const values = current.values.filter((v) => v !== value);
    return values.length > 0 ? { ...current, values } : null;
  }
  return { ...current, values: [...current.values, value] };
}

export function withoutFilter(state: WebState, index: number): WebState {
  return { ...state, filters: state.filters.filter((_, i) => i !== index) };
}
