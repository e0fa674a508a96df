import { describe, expect, it } from "vitest";

import type { Person } from "../../lib/types";
import { deletePersonPath, erasureSummary, jobFinished, jobStatusText, type ErasureJob } from "./erasure";

const person: Person = {
  id: "0190a1b2-0c3d-7e4f-8a9b-0c1d2e3f4a5b",
  distinct_ids: ["anon-1", "ada"],
  properties: { name: "Ada" },
  is_identified: true,
  created_at: "2026-01-01T00:00:00Z",
  last_seen_at: null,
};

const job: ErasureJob = {
  id: 3,
  status: "running",
  phase: "events",
  delete_events: true,
  persons: 1,
  distinct_ids: 2,
  events_deleted: 1234,
  progress: 0.5,
  error: null,
  created_at: "2026-01-01T00:00:00Z",
  finished_at: null,
};

describe("erasing a person", () => {
  it("asks the server to delete the events only when the box is ticked", () => {
    expect(deletePersonPath(person, true)).toBe(`persons/${person.id}/?delete_events=true`);
    expect(deletePersonPath(person, false)).toBe(`persons/${person.id}/?delete_events=false`);
  });

  it("names what goes", () => {
    expect(erasureSummary("Ada", person, true)).toBe(
      "This deletes the person Ada, their 2 distinct IDs and every event of theirs, including events still waiting to be ingested.",
    );
    expect(erasureSummary("Ada", { ...person, distinct_ids: ["ada"] }, false)).toBe(
      "This deletes the person Ada and their 1 distinct ID. Their events stay, under no person.",
    );
  });

  it("reads the job's progress", () => {
    expect(jobStatusText(job)).toBe("Deleting events (1,234 events deleted)");
    expect(jobStatusText({ ...job, phase: "persons", delete_events: false })).toBe("Deleting the person");
    expect(jobStatusText({ ...job, error: "QueryFailed: busy" })).toContain("retrying after an error: QueryFailed: busy");
    expect(jobStatusText({ ...job, status: "failed", error: "boom" })).toBe("The erasure failed: boom");
    expect(jobFinished(job)).toBe(false);
    expect(jobFinished({ ...job, status: "done" })).toBe(true);
  });
});
