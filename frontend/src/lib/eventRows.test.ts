import { describe, expect, it } from "vitest";

import type { QueryResponse, StoredEvent } from "./types";
import { eventView, liveGap, mergeRows, nextCursor, type EventListRow } from "./eventRows";

function row(uuid: string, timestamp: string, properties = {}): EventListRow {
  const event: StoredEvent = {
    uuid,
    event: "Plan purchased",
    properties,
    timestamp,
    distinct_id: `user-${uuid}`,
    elements_chain: "",
    created_at: timestamp,
    person_id: `person-${uuid}`,
  };
  return [event, null, null];
}

function answer(rows: EventListRow[], hasMore = false): QueryResponse<EventListRow> {
  return { columns: [], results: rows, hasMore, limit: 100, offset: 0 };
}

describe("the events list", () => {
  it("merges pages and polls, newest first, each event once", () => {
    const a = row("a", "2026-11-24T10:00:03.000000Z");
    const b = row("b", "2026-11-24T10:00:02.000000Z");
    const c = row("c", "2026-11-24T10:00:01.000000Z");
    const merged = mergeRows([answer([a, b]), answer([b, c]), undefined]);
    expect(merged.map((r) => r[0].uuid)).toEqual(["a", "b", "c"]);
  });

  it("pages on just after the last time, and strictly before it when stuck", () => {
    const page = answer([row("a", "2026-11-24T10:00:01.000000Z")], true);
    expect(nextCursor(page, null)).toBe("2026-11-24T10:00:01.000001Z");
    expect(nextCursor(page, "2026-11-24T10:00:01.000001Z")).toBe("2026-11-24T10:00:01.000000Z");
    expect(nextCursor(answer([row("a", "2026-11-24T10:00:01.000000Z")]), null)).toBeUndefined();
  });

  it("notices when the live poll skipped past the list", () => {
    const poll = answer([row("z", "2026-11-24T10:05:00.000000Z")], true);
    expect(liveGap(poll, "2026-11-24T10:00:00.000000Z")).toBe(true);
    expect(liveGap({ ...poll, hasMore: false }, "2026-11-24T10:00:00.000000Z")).toBe(false);
    expect(liveGap(poll, "2026-11-24T10:06:00.000000Z")).toBe(false);
  });

  it("shows the person's email, else the distinct id, and the URL or screen", () => {
    const [event] = row("a", "2026-11-24T10:00:00.000000Z", { $screen_name: "Home", $lib: "posthog-python" });
    expect(eventView([event, "ada@example.com", "Ada"])).toMatchObject({
      personName: "ada@example.com",
      location: "Home",
      library: "posthog-python",
    });
    expect(eventView([event, null, null]).personName).toBe("user-a");
  });
});
