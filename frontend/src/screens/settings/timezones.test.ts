import { describe, expect, it } from "vitest";

import { projectChanges, timeZoneChoices } from "./timezones";

describe("timeZoneChoices", () => {
  it("puts UTC first and sorts the rest", () => {
    expect(timeZoneChoices(["Europe/Paris", "America/New_York", "UTC"], "UTC")).toEqual([
      "UTC",
      "America/New_York",
      "Europe/Paris",
    ]);
  });

  it("keeps the project's zone when the browser does not list it", () => {
    expect(timeZoneChoices(["Europe/Paris"], "Etc/GMT+5")).toEqual([
      "UTC",
      "Etc/GMT+5",
      "Europe/Paris",
    ]);
  });
});

describe("projectChanges", () => {
  const saved = { name: "Shop", timezone: "UTC" };

  it("sends only what changed, the name trimmed", () => {
    expect(projectChanges(saved, { name: " Shop 2 ", timezone: "UTC" })).toEqual({
      changes: { name: "Shop 2" },
    });
    expect(projectChanges(saved, { name: "Shop", timezone: "Europe/Paris" })).toEqual({
      changes: { timezone: "Europe/Paris" },
    });
    expect(projectChanges(saved, saved)).toEqual({ changes: {} });
  });

  it("refuses a blank name", () => {
    expect(projectChanges(saved, { name: "   ", timezone: "UTC" })).toEqual({
      nameError: "A project needs a name.",
    });
  });
});
