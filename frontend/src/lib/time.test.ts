import { describe, expect, it } from "vitest";

import { justAfter, relativeTime } from "./time";

describe("justAfter", () => {
  it("adds one microsecond, carrying into the seconds", () => {
    expect(justAfter("2026-11-24T10:00:00.123456Z")).toBe("2026-11-24T10:00:00.123457Z");
    expect(justAfter("2026-11-24T10:00:59.999999Z")).toBe("2026-11-24T10:01:00.000000Z");
    expect(justAfter("2026-11-24T10:00:00Z")).toBe("2026-11-24T10:00:00.000001Z");
  });
});

describe("relativeTime", () => {
  const now = Date.parse("2026-11-24T12:00:00Z");
  it("speaks like a person", () => {
    expect(relativeTime("2026-11-24T11:59:58.5Z", now)).toBe("a few seconds ago");
    expect(relativeTime("2026-11-24T11:55:00Z", now)).toBe("5 minutes ago");
    expect(relativeTime("2026-11-24T09:00:00Z", now)).toBe("3 hours ago");
    expect(relativeTime("2026-11-21T12:00:00Z", now)).toBe("3 days ago");
  });
});
