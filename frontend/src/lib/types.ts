// The shapes of the JSON API the app uses (docs/api.md and the web app contract).

export interface Project {
  id: number;
  name: string;
  api_token: string;
  timezone: string;
  /** Days events are kept; null: for ever (docs/data-lifecycle.md). */
  retention_days?: number | null;
  /** Property keys removed from events and persons at ingestion. */
  redacted_properties?: string[];
  /** Discard client IP data: `$ip` is dropped at ingestion, after GeoIP. */
  anonymize_ips?: boolean;
  /** 0 off, 1 stateless, 2 stateful (docs/web-analytics.md#cookieless-counting). */
  cookieless_server_hash_mode?: CookielessMode;
}

export type CookielessMode = 0 | 1 | 2;

export interface CurrentUser {
  email: string | null;
  organization?: { id: number | string; name: string };
  team: Project;
  projects: Project[];
}

export type PropertyValue = string | number | boolean | null | PropertyValue[] | Properties;
export interface Properties {
  [key: string]: PropertyValue;
}

/** The `*` column of an EventsQuery, and the body of GET /events/{uuid}/. */
export interface StoredEvent {
  uuid: string;
  event: string;
  properties: Properties;
  timestamp: string;
  distinct_id: string;
  elements_chain: string;
  created_at: string;
  person_id: string;
}

export interface Person {
  id: string;
  distinct_ids: string[];
  properties: Properties;
  is_identified: boolean;
  created_at: string;
  /** The time of the person's latest event; null when none is stored. */
  last_seen_at: string | null;
}

/** GET /persons/: a page of persons, and the next page's address (null on the last). */
export interface PersonPage {
  results: Person[];
  next: string | null;
}

export type FilterType = "event" | "person" | "element";

export const OPERATORS = [
  "exact",
  "is_not",
  "icontains",
  "not_icontains",
  "regex",
  "not_regex",
  "gt",
  "gte",
  "lt",
  "lte",
  "is_set",
  "is_not_set",
  "is_date_exact",
  "is_date_before",
  "is_date_after",
] as const;
export type Operator = (typeof OPERATORS)[number];

export interface PropertyFilter {
  key: string;
  value?: string | number | boolean | (string | number | boolean)[];
  operator: Operator;
  type: FilterType;
}

export interface EventsQuery {
  kind: "EventsQuery";
  select: string[];
  event?: string;
  /** Only this person's events (after merges). */
  personId?: string;
  properties?: PropertyFilter[];
  after?: string;
  before?: string;
  orderBy?: string[];
  limit?: number;
  offset?: number;
}

export interface QueryResponse<Row = unknown[]> {
  columns: string[];
  results: Row[];
  hasMore: boolean;
  limit: number;
  offset: number;
}

export interface Definition {
  id: string;
  name: string;
  volume: number;
  first_seen_at: string | null;
  last_seen_at: string | null;
  property_type?: string | null;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}
