// Ingestion warnings in words: what each type means, a one-line text for the 30-day chart,
// and a sample's details as plain text. docs/discard-reasons.md is the reference.

export interface DayCount {
  date: string;
  count: number;
}

export interface WarningTypeSummary {
  type: string;
  discards: boolean;
  count: number;
  last_seen: string;
  days: DayCount[];
}

export interface WarningSummary {
  days: number;
  timezone: string;
  results: WarningTypeSummary[];
}

export interface WarningSample {
  id: number;
  type: string;
  event_uuid: string | null;
  details: unknown;
  timestamp: number;
}

interface Explanation {
  title: string;
  text: string;
}

const EXPLANATIONS: Record<string, Explanation> = {
  invalid_record: {
    title: "Unreadable intake entry",
    text: "An entry of the intake log could not be read back as events. It means a damaged log file.",
  },
  invalid_distinct_id: {
    title: "Invalid distinct id",
    text: "The distinct_id was blank or longer than 200 characters.",
  },
  duplicate_event: {
    title: "Duplicate event",
    text: "An event with the same uuid was already stored, so this one was dropped and the first kept. A client sent it twice, or retried a request that had succeeded.",
  },
  invalid_event_when_process_person_profile_is_false: {
    title: "Identity event without person processing",
    text: "An $identify, $create_alias, $merge_dangerously or $groupidentify event was sent with $process_person_profile: false. Such an event only changes persons or groups, which that flag forbids.",
  },
  event_name_truncated: {
    title: "Event name cut",
    text: "The event name was longer than 200 characters; it was stored cut to 200.",
  },
  invalid_process_person_profile: {
    title: "Invalid $process_person_profile",
    text: "$process_person_profile was neither true nor false; the event was processed as if it were true.",
  },
  cannot_merge_with_illegal_distinct_id: {
    title: "Merge refused: placeholder id",
    text: "An identity event named a placeholder id (anonymous, null, undefined, 0, [object Object]…) on one side, so nothing was merged. Check what the SDK is given as the user's id.",
  },
  cannot_merge_already_identified: {
    title: "Merge refused: already identified",
    text: "The other id belongs to a person who is already identified, so $identify or $create_alias did not merge the two (only $merge_dangerously does).",
  },
  group_type_limit: {
    title: "Too many group types",
    text: "The event named a sixth group type; a project keeps five. It was stored without that group.",
  },
  invalid_group_identify: {
    title: "Invalid group identify",
    text: "A $groupidentify event came without a usable $group_type or $group_key.",
  },
};

export function explain(type: string): Explanation {
  return (
    EXPLANATIONS[type] ?? {
      title: type.replaceAll("_", " "),
      text: "A warning this version of the app has no description for.",
    }
  );
}

export const KNOWN_TYPES = Object.keys(EXPLANATIONS);

const DAY = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", timeZone: "UTC" });

/** "Mar 10" for "2026-03-10" (a day of the project's calendar, shown as it is). */
export function dayLabel(date: string): string {
  const when = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(when) ? date : DAY.format(when);
}

/** The chart's text alternative: the total and the busiest day. */
export function chartSummary(days: DayCount[]): string {
  const total = days.reduce((sum, day) => sum + day.count, 0);
  if (total === 0) return `None in the last ${days.length} days`;
  const busiest = days.reduce((best, day) => (day.count > best.count ? day : best));
  const word = total === 1 ? "warning" : "warnings";
  return `${total} ${word} in the last ${days.length} days, most on ${dayLabel(busiest.date)} (${busiest.count})`;
}

/** A sample's details as one line of text: `key: value` pairs, values as JSON. */
export function detailsText(details: unknown): string {
  if (details === null || details === undefined) return "";
  if (typeof details !== "object" || Array.isArray(details)) return JSON.stringify(details);
  return Object.entries(details as Record<string, unknown>)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join(", ");
}

/** An epoch-seconds warning time as the API's ISO form, for the shared time helpers. */
export function isoOfSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
