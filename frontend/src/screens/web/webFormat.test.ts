import { describe, expect, it } from "vitest";

import {
  formatChange,
  formatItemValue,
  formatRate,
  liveRows,
  pairChange,
  pairOf,
  previousText,
  tableColumns,
  tileLabel,
} from "./webFormat";

describe("a tile's change against the previous period", () => {
  it("a rise is good, a fall bad, unless a rise is bad (the bounce rate)", () => {
    expect(formatChange(12)).toEqual({ text: "↑ 12%", spoken: "up 12% from the previous period", tone: "good" });
    expect(formatChange(-5)).toEqual({ text: "↓ 5%", spoken: "down 5% from the previous period", tone: "bad" });
    expect(formatChange(12, true)?.tone).toBe("bad");
    expect(formatChange(-5, true)?.tone).toBe("good");
    expect(formatChange(0)).toEqual({ text: "0%", spoken: "no change from the previous period", tone: "neutral" });
    expect(formatChange(1250)?.text).toBe("↑ 1,250%");
  });

  it("shows nothing without a change (no previous period, or nothing in it)", () => {
    expect(formatChange(null)).toBeNull();
    expect(formatChange(undefined)).toBeNull();
  });

  it("says the previous value in the tile's own unit", () => {
    const item = { key: "session duration", kind: "duration_s", value: 80, previous: 65, changeFromPreviousPct: 23 };
    expect(previousText(item)).toBe("Previous period: 1m 5s");
    expect(previousText({ ...item, previous: null })).toBeNull();
  });
});

describe("tile values", () => {
  it("counts, durations and percentages", () => {
    expect(formatItemValue("unit", 12345)).toBe("12,345");
    expect(formatItemValue("duration_s", 125.4)).toBe("2m 5s");
    expect(formatItemValue("percentage", 42.857)).toBe("42.9%");
    expect(formatItemValue("percentage", null)).toBe("–");
    expect(tileLabel("views")).toBe("Page views");
    expect(tileLabel("bounce rate")).toBe("Bounce rate");
  });
});

describe("table answers", () => {
  const columns = [
    "context.columns.breakdown_value",
    "context.columns.visitors",
    "context.columns.views",
    "context.columns.bounce_rate",
  ];

  it("finds each measure by its column", () => {
    expect(tableColumns(columns)).toEqual({ visitors: 1, views: 2, bounceRate: 3 });
    expect(tableColumns(columns.slice(0, 3)).bounceRate).toBeNull();
  });

  it("reads pairs, rates and changes", () => {
    const row: [string, [number, number], [number, number], [number | null, null]] = ["/a", [120, 98], [300, 250], [0.42, null]];
    expect(pairOf(row, 1)).toEqual([120, 98]);
    expect(pairOf(row, null)).toEqual([null, null]);
    expect(formatRate(0.42)).toBe("42%");
    expect(formatRate(null)).toBe("–");
    expect(pairChange([120, 100])).toBe(20);
    expect(pairChange([5, 0])).toBeNull();
    expect(pairChange([5, null])).toBeNull();
  });
});

describe("live visitors", () => {
  it("reads pages and the total; a page view without a path is None", () => {
    const response = {
      columns: ["page", "visitors", "total"],
      results: [
        ["/pricing", 2, 4],
        [null, 1, 4],
      ],
    };
    expect(liveRows(response)).toEqual({
      pages: [
        { page: "/pricing", visitors: 2 },
        { page: null, visitors: 1 },
      ],
      total: 4,
    });
    expect(liveRows({ columns: [], results: [] })).toEqual({ pages: [], total: 0 });
  });
});
