// The tables of /web: their cards and tabs, and the filter a click on a row adds (the
// `breakdownBy` -> filter table of the web analytics contract, docs/queries.md).

export const BREAKDOWNS = [
  "Page",
  "InitialPage",
  "ExitPage",
  "InitialReferringDomain",
  "InitialChannelType",
  "InitialUTMSource",
  "InitialUTMMedium",
  "InitialUTMCampaign",
  "DeviceType",
  "Browser",
  "OS",
  "Country",
  "Region",
  "City",
] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];

export type FilterSource = "event" | "session" | "person";

/** What a click on a row selects: its value, or null for the row of no value ("None"). */
export interface RowFilter {
  type: FilterSource;
  key: string;
  value: string | null;
}

/** A filter of the page: the property is one of `values`, or (null) is not set. */
export interface WebFilter {
  type: FilterSource;
  key: string;
  values: string[] | null;
}

interface BreakdownInfo {
  /** The tab's name. */
  tab: string;
  /** The first column's heading, and the chip's name of the filter. */
  column: string;
  filter: { type: FilterSource; key: string };
  /** What an empty table says. */
  empty: string;
}

const NO_VIEWS = "No page views in this period.";
const NO_SESSIONS = "No sessions in this period.";

export const BREAKDOWN_INFO: Record<Breakdown, BreakdownInfo> = {
  Page: { tab: "Pages", column: "Page", filter: { type: "event", key: "$pathname" }, empty: NO_VIEWS },
  InitialPage: {
    tab: "Entry pages",
    column: "Entry page",
    filter: { type: "session", key: "$entry_pathname" },
    empty: NO_SESSIONS,
  },
  ExitPage: {
    tab: "Exit pages",
    column: "Exit page",
    filter: { type: "session", key: "$end_pathname" },
    empty: NO_SESSIONS,
  },
  InitialReferringDomain: {
    tab: "Referring domains",
    column: "Referring domain",
    filter: { type: "session", key: "$entry_referring_domain" },
    empty: NO_SESSIONS,
  },
  InitialChannelType: {
    tab: "Channels",
    column: "Channel",
    filter: { type: "session", key: "$channel_type" },
    empty: NO_SESSIONS,
  },
  InitialUTMSource: {
    tab: "UTM source",
    column: "UTM source",
    filter: { type: "session", key: "$entry_utm_source" },
    empty: NO_SESSIONS,
  },
  InitialUTMMedium: {
    tab: "UTM medium",
    column: "UTM medium",
    filter: { type: "session", key: "$entry_utm_medium" },
    empty: NO_SESSIONS,
  },
  InitialUTMCampaign: {
    tab: "UTM campaign",
    column: "UTM campaign",
    filter: { type: "session", key: "$entry_utm_campaign" },
    empty: NO_SESSIONS,
  },
  DeviceType: {
    tab: "Device types",
    column: "Device type",
    filter: { type: "event", key: "$device_type" },
    empty: NO_VIEWS,
  },
  Browser: { tab: "Browsers", column: "Browser", filter: { type: "event", key: "$browser" }, empty: NO_VIEWS },
  OS: { tab: "OS", column: "OS", filter: { type: "event", key: "$os" }, empty: NO_VIEWS },
  Country: {
    tab: "Countries",
    column: "Country",
    filter: { type: "event", key: "$geoip_country_code" },
    empty: NO_VIEWS,
  },
  Region: {
    tab: "Regions",
    column: "Region",
    filter: { type: "event", key: "$geoip_subdivision_1_name" },
    empty: NO_VIEWS,
  },
  City: { tab: "Cities", column: "City", filter: { type: "event", key: "$geoip_city_name" }, empty: NO_VIEWS },
};

export const CARDS = [
  { id: "pages", title: "Pages", tabs: ["Page", "InitialPage", "ExitPage"] },
  {
    id: "sources",
    title: "Sources",
    tabs: ["InitialReferringDomain", "InitialChannelType", "InitialUTMSource", "InitialUTMMedium", "InitialUTMCampaign"],
  },
  { id: "devices", title: "Devices", tabs: ["DeviceType", "Browser", "OS"] },
  { id: "geo", title: "Geography", tabs: ["Country", "Region", "City"] },
] as const satisfies readonly { id: string; title: string; tabs: readonly Breakdown[] }[];
export type CardId = (typeof CARDS)[number]["id"];

/** The host picker's filter: event `$host` exact. */
export const HOST_KEY = "$host";

/** What a click on a row of `breakdown` selects: the row's value, or "not set" for None. */
export function rowFilter(breakdown: Breakdown, value: string | number | null): RowFilter {
  const { type, key } = BREAKDOWN_INFO[breakdown].filter;
  return { type, key, value: value === null || value === "" ? null : String(value) };
}

const countryNames = (() => {
  try {
    return new Intl.DisplayNames(["en"], { type: "region" });
  } catch {
    return null;
  }
})();

/** "France" for "FR"; the code itself when it is not a region code (captured text). */
export function countryName(code: string): string {
  if (!/^[A-Za-z]{2}$/.test(code)) return code;
  try {
    return countryNames?.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** The referring domain of a session without a referrer (PostHog's value). */
export const DIRECT = "$direct";

/** A row's value as the table shows it. */
export function valueLabel(breakdown: Breakdown, value: string | number | null): string {
  if (value === null || value === "") return "None";
  const text = String(value);
  if (breakdown === "InitialReferringDomain" && text === DIRECT) return "Direct (no referrer)";
  if (breakdown === "Country") {
    const name = countryName(text);
    return name === text ? text : `${name} (${text.toUpperCase()})`;
  }
  return text;
}

/**
 * What a filter chip says: "Page is /pricing", "Page is /a or /b", "Country is France (FR)",
 * "UTM source is not set".
 */
export function filterLabel(filter: WebFilter): string {
  const found = BREAKDOWNS.find((b) => {
    const f = BREAKDOWN_INFO[b].filter;
    return f.type === filter.type && f.key === filter.key;
  });
  const name = found ? BREAKDOWN_INFO[found].column : filter.key;
  if (filter.values === null) return `${name} is not set`;
  const values = filter.values.map((value) => (found ? valueLabel(found, value) : value));
  return `${name} is ${values.join(" or ")}`;
}
