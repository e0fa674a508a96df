// The events list's rows: query answers merged, newest first, each event once.

import { describeEvent } from "./describe";
import { personDisplayName } from "./person";
import { justAfter } from "./time";
import type { PropertyValue, QueryResponse, StoredEvent } from "./types";

/** One answer row of EVENT_LIST_SELECT: the event, the person's email and name. */
export type EventListRow = [StoredEvent, PropertyValue, PropertyValue];

export interface EventView {
  uuid: string;
  description: string;
  rawEvent: string;
  personName: string;
  personId: string;
  location: string;
  library: string;
  timestamp: string;
}

function text(value: PropertyValue | undefined): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function eventView([event, email, name]: EventListRow): EventView {
  const props = event.properties;
  return {
    uuid: event.uuid,
    description: describeEvent(event),
    rawEvent: event.event,
    personName: personDisplayName(email, name, event.distinct_id),
    personId: event.person_id,
    location: text(props["$current_url"] ?? props["$screen_name"]),
    library: text(props["$lib"]),
    timestamp: event.timestamp,
  };
}

/** Every row of the given answers once (by uuid), newest first. */
export function mergeRows(answers: (QueryResponse<EventListRow> | undefined)[]): EventListRow[] {
  const seen = new Set<string>();
  const rows: EventListRow[] = [];
  for (const answer of answers) {
    for (const row of answer?.results ?? []) {
      if (seen.has(row[0].uuid)) continue;
      seen.add(row[0].uuid);
      rows.push(row);
    }
  }
  return rows.sort((a, b) =>
    a[0].timestamp < b[0].timestamp ? 1 : a[0].timestamp > b[0].timestamp ? -1 : 0,
  );
}

/**
 * The `before` of the next older page: just after the last row's time, so events that share
 * that time are not skipped (the repeats are merged away). When a whole page shares one time
 * that cursor would not move, and the next page starts strictly before it instead.
 */
export function nextCursor(
  answer: QueryResponse<EventListRow>,
  previous: string | null,
): string | undefined {
  const last = answer.results.at(-1);
  if (!answer.hasMore || !last) return undefined;
  const cursor = justAfter(last[0].timestamp);
  return cursor === previous ? last[0].timestamp : cursor;
}

/**
 * Whether the newest events (a live poll) no longer reach the newest row listed: more
 * arrived between two polls than one poll returns, so the list must start over.
 */
export function liveGap(
  poll: QueryResponse<EventListRow> | undefined,
  newestListed: string | undefined,
): boolean {
  const oldestPolled = poll?.results.at(-1)?.[0].timestamp;
  return Boolean(poll?.hasMore && oldestPolled && newestListed && oldestPolled > newestListed);
}
