// The settings screen's Data section: reading what is typed for the retention period and
// the redacted properties, and how the data usage reads.

export const MAX_RETENTION_DAYS = 36_500;

export interface DataUsage {
  events: number;
  persons: number;
  event_bytes: number;
  oldest_event: string | null;
  newest_event: string | null;
  retention_days: number | null;
  retention_last_run_at: string | null;
  retention_last_deleted: number | null;
}

/** The retention period typed: empty keeps events for ever; else whole days in range. */
export function parseRetention(text: string): { days: number | null } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { days: null };
  if (!/^\d+$/.test(trimmed)) return { error: "Enter a whole number of days, or leave it empty to keep events for ever." };
  const days = Number(trimmed);
  if (days < 1 || days > MAX_RETENTION_DAYS) {
    return { error: `Enter a number of days from 1 to ${MAX_RETENTION_DAYS.toLocaleString("en-US")}.` };
  }
  return { days };
}

/** Property keys, one a line or comma-separated, blanks dropped, each once, in order. */
export function parseRedacted(text: string): string[] {
  const keys = text
    .split(/[\n,]/)
    .map((key) => key.trim())
    .filter((key) => key !== "");
  return [...new Set(keys)];
}

/** Bytes for people: 1 decimal place from KB on (1000-based, as disks are sold). */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

export function retentionText(days: number | null | undefined): string {
  if (days === null || days === undefined) return "Events are kept for ever.";
  return `Events older than ${days.toLocaleString("en-US")} day${days === 1 ? "" : "s"} are deleted.`;
}
