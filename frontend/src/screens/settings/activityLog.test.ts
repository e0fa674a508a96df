import { describe, expect, it } from "vitest";

import { activityText, actorText, detailText, type ActivityEntry } from "./activityLog";

function entry(fields: Partial<ActivityEntry>): ActivityEntry {
  return {
    id: 1,
    created_at: "2026-12-07T10:00:00.000Z",
    activity: "project_updated",
    scope: "Project",
    item_id: "1",
    detail: {},
    user: null,
    actor: { kind: "user", id: 3, name: "ann@example.com" },
    is_system: false,
    ...fields,
  };
}

describe("the activity log's entries", () => {
  it("names the actor", () => {
    expect(actorText(entry({}))).toBe("ann@example.com");
    expect(actorText(entry({ actor: { kind: "key", id: 4, name: "ci" } }))).toBe(
      "API key “ci” (#4)",
    );
    expect(actorText(entry({ actor: { kind: "cli", id: null, name: "" } }))).toBe("Command line");
    expect(actorText(entry({ actor: { kind: "system", id: null, name: "" } }))).toBe("Hedgerow");
    expect(actorText(entry({ actor: { kind: "anonymous", id: null, name: "x@y.z" } }))).toBe(
      "Someone (as x@y.z)",
    );
  });

  it("says what happened", () => {
    expect(activityText(entry({}))).toBe("Changed the project's settings");
    expect(activityText(entry({ activity: "action_deleted", scope: "Action", item_id: "7" }))).toBe(
      "Deleted an action (Action 7)",
    );
    expect(activityText(entry({ activity: "export_run", item_id: null }))).toBe("Exported events");
    expect(activityText(entry({ activity: "import_run", scope: "Import", item_id: null }))).toBe(
      "Imported events",
    );
    expect(activityText(entry({ activity: "erasure_finished", scope: "ErasureJob", item_id: "5" }))).toBe(
      "Finished an erasure (ErasureJob 5)",
    );
    expect(activityText(entry({ activity: "signed_out", scope: "User", item_id: null }))).toBe("Signed out");
    expect(activityText(entry({ activity: "something_new", item_id: null }))).toBe("something_new");
  });

  it("writes the detail as text", () => {
    const changes = [
      { field: "name", before: "Default project", after: "Shop" },
      { field: "retention_days", before: null, after: 30 },
      { field: "redacted_properties", before: [], after: ["$ip", "email"] },
    ];
    expect(detailText(entry({ detail: { changes } }))).toBe(
      "name: Default project → Shop; retention_days: none → 30; " +
        "redacted_properties: none → $ip, email",
    );
    expect(detailText(entry({ detail: { format: "csv", rows: 12 } }))).toBe("format: csv; rows: 12");
    expect(
      detailText(entry({ detail: { name: "Paid", changes: [{ field: "deleted", before: false, after: true }] } })),
    ).toBe("deleted: false → true");
    expect(detailText(entry({ detail: {} }))).toBe("");
    const described = [{ field: "description", before: "", after: "Every sign-up" }];
    expect(detailText(entry({ detail: { changes: described } }))).toBe(
      "description: none → Every sign-up",
    );
  });
});
