import { describe, expect, it } from "vitest";

import { emptyInsightsText, insightName, insightsCountText, kindLabel, modifiedBy } from "./insightsList";

describe("the saved insights list", () => {
  it("names each kind in words, through a wrapper node, and an unknown one by itself", () => {
    expect(kindLabel({ kind: "TrendsQuery" })).toBe("Trends");
    expect(kindLabel({ kind: "FunnelsQuery" })).toBe("Funnel");
    expect(kindLabel({ kind: "HogQLQuery" })).toBe("SQL");
    expect(kindLabel({ kind: "InsightVizNode", source: { kind: "LifecycleQuery" } })).toBe("Lifecycle");
    expect(kindLabel({ kind: "WebOverviewQuery" })).toBe("WebOverview");
  });

  it("gives a nameless insight words to click", () => {
    expect(insightName({ name: "  " })).toBe("Unnamed insight");
    expect(insightName({ name: "Page views" })).toBe("Page views");
  });

  it("says who changed it last, else who made it, else nobody", () => {
    const ada = { id: 1, email: "ada@example.com" };
    const grace = { id: 2, email: "grace@example.com" };
    expect(modifiedBy({ last_modified_by: grace, created_by: ada })).toBe("grace@example.com");
    expect(modifiedBy({ last_modified_by: null, created_by: ada })).toBe("ada@example.com");
    expect(modifiedBy({ last_modified_by: null, created_by: null })).toBeNull();
  });

  it("counts what is shown, and says when the search matches nothing", () => {
    expect(insightsCountText(1, 1)).toBe("1 insight");
    expect(insightsCountText(100, 130)).toBe("100 of 130 insights (the newest changes)");
    expect(emptyInsightsText("funnel")).toBe("No saved insight's name or description contains “funnel”.");
  });
});
