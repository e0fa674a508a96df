// The persons list: its API address per page, its rows, and what it says when empty.

import { personDisplayName } from "../../lib/person";
import type { Person, PersonPage } from "../../lib/types";

export const PERSONS_PAGE_SIZE = 100;

/** The API path (under the project) of the page of persons starting at `offset`. */
export function personsPath(search: string, offset: number): string {
  const params = new URLSearchParams({ limit: String(PERSONS_PAGE_SIZE), offset: String(offset) });
  if (search) params.set("search", search);
  return `persons/?${params.toString()}`;
}

/** The offset of the page after `page` (which started at `offset`), or undefined at the end. */
export function nextOffset(page: PersonPage, offset: number): number | undefined {
  return page.next === null ? undefined : offset + page.results.length;
}

export interface PersonRow {
  id: string;
  name: string;
  distinctId: string;
  createdAt: string;
  lastSeenAt: string | null;
}

export function personRow(person: Person): PersonRow {
  const distinctId = person.distinct_ids[0] ?? "";
  const props = person.properties;
  return {
    id: person.id,
    name: personDisplayName(props["email"], props["name"], distinctId || person.id),
    distinctId,
    createdAt: person.created_at,
    lastSeenAt: person.last_seen_at,
  };
}

/** The page address of a person: by person id (a distinct id works too, URL-encoded). */
export function personPagePath(idOrDistinctId: string): string {
  return `/persons/${encodeURIComponent(idOrDistinctId)}`;
}

export function emptyText(search: string): string {
  return search
    ? `No persons match “${search}”. Search looks in distinct IDs, person IDs and property values.`
    : "No persons yet. A person appears with the first event sent with their distinct ID.";
}

/** Below the list: how many are shown, and whether more can be loaded. */
export function listEndText(count: number, more: boolean): string {
  if (more) return `Showing the newest ${count} persons.`;
  return count === 1 ? "1 person." : `All ${count} persons are shown.`;
}
