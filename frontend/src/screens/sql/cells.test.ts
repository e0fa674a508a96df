import { describe, expect, it } from "vitest";

import { cellView, isNumericType, resultNote } from "./cells";

describe("cellView", () => {
  it("shows NULL apart, numbers as numbers, objects as JSON, text as it is", () => {
    expect(cellView(null)).toEqual({ text: "NULL", kind: "null" });
    expect(cellView(12.5)).toEqual({ text: "12.5", kind: "number" });
    expect(cellView({ a: [1] })).toEqual({ text: '{"a":[1]}', kind: "text" });
    expect(cellView("<b>x</b>")).toEqual({ text: "<b>x</b>", kind: "text" });
    expect(cellView(true)).toEqual({ text: "true", kind: "text" });
  });
});

describe("isNumericType", () => {
  it("knows ClickHouse's number types", () => {
    expect(isNumericType("UInt64")).toBe(true);
    expect(isNumericType("Nullable(Float64)")).toBe(true);
    expect(isNumericType("Decimal(18, 2)")).toBe(true);
    expect(isNumericType("String")).toBe(false);
    expect(isNumericType("DateTime64(6, 'UTC')")).toBe(false);
    expect(isNumericType(undefined)).toBe(false);
  });
});

describe("resultNote", () => {
  it("counts rows and says how to see more", () => {
    expect(resultNote(1, false, 100)).toBe("1 row");
    expect(resultNote(100, true, 100)).toBe(
      "100 rows shown; there are more: the query returns 100 rows unless it says LIMIT (up to 10,000).",
    );
    expect(resultNote(10_000, true, 10_000)).toContain("10,000 rows is the most");
  });
});
