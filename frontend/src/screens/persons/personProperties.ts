// How a person's properties are labelled: `$initial_<key>` holds the value when the person
// was first seen ("Initial browser"); the key beside it is the latest value ("Latest browser").

import type { Properties } from "../../lib/types";

const INITIAL = "$initial_";
const ACRONYMS: Record<string, string> = {
  utm: "UTM",
  url: "URL",
  os: "OS",
  id: "ID",
  ip: "IP",
  geoip: "GeoIP",
  gclid: "GCLID",
  fbclid: "FBCLID",
};

/** `referring_domain` -> "referring domain", `utm_source` -> "UTM source". */
export function humanizeKey(key: string): string {
  return key
    .split("_")
    .filter((word) => word !== "")
    .map((word) => ACRONYMS[word.toLowerCase()] ?? word.toLowerCase())
    .join(" ");
}

/** "Initial …" for `$initial_*` keys; "Latest …" for a key with an initial twin
 * (`$browser` beside `$initial_browser`, `utm_source` beside `$initial_utm_source`); else null. */
export function propertyLabel(key: string, properties: Properties): string | null {
  if (key.startsWith(INITIAL) && key.length > INITIAL.length) {
    return "Initial " + humanizeKey(key.slice(INITIAL.length));
  }
  const bare = key.startsWith("$") ? key.slice(1) : key;
  if (bare !== "" && INITIAL + bare in properties) {
    return "Latest " + humanizeKey(bare);
  }
  return null;
}

/** Whether a route parameter is shaped like a person id (a UUID). */
export function looksLikePersonId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
