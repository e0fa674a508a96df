// Times as the lists show them: relative ("5 minutes ago"), exact on hover.

const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/;

/** Microseconds since the epoch of an API timestamp (`2026-11-24T10:00:00.123456Z`). */
export function microseconds(timestamp: string): number | null {
  const match = ISO.exec(timestamp);
  if (!match) return null;
  const seconds = Date.parse(`${match[1]}Z`) / 1000;
  const fraction = Number.parseInt((match[2] ?? "").padEnd(6, "0"), 10);
  return seconds * 1_000_000 + fraction;
}

function formatMicroseconds(total: number): string {
  const seconds = Math.floor(total / 1_000_000);
  const fraction = String(total - seconds * 1_000_000).padStart(6, "0");
  return new Date(seconds * 1000).toISOString().slice(0, 19) + "." + fraction + "Z";
}

/** The timestamp one microsecond later: `before` this includes the given instant. */
export function justAfter(timestamp: string): string {
  const total = microseconds(timestamp);
  return total === null ? timestamp : formatMicroseconds(total + 1);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "a few seconds ago", "5 minutes ago", "in 2 hours" (`now` in milliseconds). */
export function relativeTime(timestamp: string, now: number): string {
  const when = Date.parse(timestamp);
  if (Number.isNaN(when)) return timestamp;
  const seconds = Math.round((when - now) / 1000);
  // Within a minute either way (clocks and refreshes drift): just now.
  if (Math.abs(seconds) < 45) return "a few seconds ago";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return relative.format(Math.trunc(seconds / 60) || Math.sign(seconds), "minute");
}

const exact = new Intl.DateTimeFormat("en", {
  dateStyle: "medium",
  timeStyle: "medium",
});

/** The time on this device, to the second: "Nov 24, 2026, 10:00:00 AM". */
export function localTime(timestamp: string): string {
  const when = Date.parse(timestamp);
  return Number.isNaN(when) ? timestamp : exact.format(when);
}

/** The exact time on this device, and in UTC: "Nov 24, 2026, 10:00:00 AM (2026-11-24 10:00:00.123456 UTC)". */
export function exactTime(timestamp: string): string {
  const when = Date.parse(timestamp);
  if (Number.isNaN(when)) return timestamp;
  const utc = timestamp.replace("T", " ").replace("Z", " UTC");
  return `${exact.format(when)} (${utc})`;
}
