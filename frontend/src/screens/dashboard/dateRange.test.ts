import { describe, expect, it } from "vitest";

import { cleanFilters, CUSTOM_RANGE, OWN_RANGE, presetOf, rangeOf } from "./dateRange";

describe("the dashboard's date range", () => {
  it("reads the choice back from the saved filters", () => {
    expect(presetOf({ date_from: null, date_to: null })).toBe(OWN_RANGE);
    expect(presetOf({ date_from: "-7d", date_to: null })).toBe("-7d");
    expect(presetOf({ date_from: "all", date_to: null })).toBe("all");
    expect(presetOf({ date_from: "-7d", date_to: "-1d" })).toBe(CUSTOM_RANGE);
    expect(presetOf({ date_from: "2026-11-01", date_to: null })).toBe(CUSTOM_RANGE);
  });

  it("sets the range of a choice; custom starts from the current one", () => {
    expect(rangeOf(OWN_RANGE, { date_from: "-7d", date_to: null })).toEqual({ date_from: null, date_to: null });
    expect(rangeOf("-30d", { date_from: "2026-01-01", date_to: "2026-02-01" })).toEqual({
      date_from: "-30d",
      date_to: null,
    });
    expect(rangeOf(CUSTOM_RANGE, { date_from: null, date_to: null })).toEqual({ date_from: "-7d", date_to: null });
  });

  it("drops empty bounds and property rows without a property", () => {
    const cleaned = cleanFilters({
      date_from: " ",
      date_to: "",
      properties: [
        { key: "", operator: "exact", type: "event", value: "" },
        { key: "$browser", operator: "exact", type: "event", value: "Chrome" },
      ],
    });
    expect(cleaned).toEqual({
      date_from: null,
      date_to: null,
      properties: [{ key: "$browser", operator: "exact", type: "event", value: "Chrome" }],
    });
  });
});
