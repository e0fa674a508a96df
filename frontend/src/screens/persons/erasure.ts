// Erasing a person from the person page: what the confirmation says will go, and how the
// erasure job's progress reads (GET /api/projects/:id/erasures/:job/).

import type { Person } from "../../lib/types";

export interface ErasureJob {
  id: number;
  status: "queued" | "running" | "done" | "failed";
  phase: string;
  delete_events: boolean;
  persons: number;
  distinct_ids: number;
  events_deleted: number;
  progress: number;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

/** The DELETE request of a person: its events too when asked. */
export function deletePersonPath(person: Person, deleteEvents: boolean): string {
  return `persons/${encodeURIComponent(person.id)}/?delete_events=${deleteEvents ? "true" : "false"}`;
}

/** The sentence naming what goes: the person, its distinct ids, and its events or not. */
export function erasureSummary(name: string, person: Person, deleteEvents: boolean): string {
  const count = person.distinct_ids.length;
  const ids = `${count} distinct ID${count === 1 ? "" : "s"}`;
  const events = deleteEvents
    ? "and every event of theirs, including events still waiting to be ingested"
    : "Their events stay, under no person";
  return deleteEvents
    ? `This deletes the person ${name}, their ${ids} ${events}.`
    : `This deletes the person ${name} and their ${ids}. ${events}.`;
}

const PHASES: Record<string, string> = {
  persons: "Deleting the person",
  events: "Deleting events",
  draining: "Dropping events still waiting to be ingested",
  finishing: "Finishing",
  done: "Done",
};

/** One line of progress: the phase in words, the events deleted so far, a retry's error. */
export function jobStatusText(job: ErasureJob): string {
  if (job.status === "failed") return `The erasure failed: ${job.error ?? "no reason given"}`;
  let text = PHASES[job.phase] ?? job.phase;
  if (job.delete_events) {
    text += ` (${job.events_deleted.toLocaleString("en-US")} event${job.events_deleted === 1 ? "" : "s"} deleted)`;
  }
  if (job.error) text += `; retrying after an error: ${job.error}`;
  return text;
}

export function jobFinished(job: ErasureJob): boolean {
  return job.status === "done" || job.status === "failed";
}
