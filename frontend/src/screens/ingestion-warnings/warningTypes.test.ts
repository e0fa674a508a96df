import { describe, expect, it } from "vitest";

import { chartSummary, detailsText, explain, isoOfSeconds } from "./warningTypes";

describe("explain", () => {
  it("describes known types and falls back for others", () => {
    expect(explain("duplicate_event").title).toBe("Duplicate event");
    expect(explain("some_new_type")).toEqual({
      title: "some new type",
      text: "A warning this version of the app has no description for.",
    });
  });
});

describe("chartSummary", () => {
  it("says the total and the busiest day", () => {
    const days = [
      { date: "2026-03-09", count: 2 },
      { date: "2026-03-10", count: 5 },
      { date: "2026-03-11", count: 0 },
    ];
    expect(chartSummary(days)).toBe("7 warnings in the last 3 days, most on Mar 10 (5)");
    expect(chartSummary([{ date: "2026-03-11", count: 1 }])).toBe(
      "1 warning in the last 1 days, most on Mar 11 (1)",
    );
    expect(chartSummary([{ date: "2026-03-11", count: 0 }])).toBe("None in the last 1 days");
  });
});

describe("detailsText", () => {
  it("writes key: JSON value pairs, hostile text as it is", () => {
    expect(detailsText({ distinct_id: "<b>x</b>", length: 250 })).toBe(
      'distinct_id: "<b>x</b>", length: 250',
    );
    expect(detailsText({})).toBe("");
    expect(detailsText(null)).toBe("");
    expect(detailsText(["a"])).toBe('["a"]');
  });
});

it("isoOfSeconds gives the API's timestamp form", () => {
  expect(isoOfSeconds(1_773_100_800.5)).toBe("2026-03-10T00:00:00.500Z");
});
