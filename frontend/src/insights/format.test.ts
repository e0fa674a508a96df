import { describe, expect, it } from "vitest";

import { axisLabel, breakdownLabel, formatDuration, formatNumber, formatPercent, pointLabel, tooltipText } from "./format";

describe("axisLabel", () => {
  it("formats each interval", () => {
    expect(axisLabel("2026-11-01 10:00:00", "hour")).toBe("Nov 1 10:00");
    expect(axisLabel("2026-11-01", "day")).toBe("Nov 1");
    expect(axisLabel("2026-11-08", "week")).toBe("Nov 8");
    expect(axisLabel("2026-12-01", "month")).toBe("Dec 2026");
    expect(pointLabel("2026-11-08", "week")).toBe("Week of Nov 8, 2026");
  });
  it("leaves other text alone", () => {
    expect(axisLabel("<b>", "day")).toBe("<b>");
  });
});

describe("numbers", () => {
  it("formats exactly", () => {
    expect(formatNumber(1234567)).toBe("1,234,567");
    expect(formatNumber(2.345)).toBe("2.35");
    expect(formatDuration(3725)).toBe("1h 2m");
    expect(formatDuration(59)).toBe("59s");
    expect(formatPercent(12.345)).toBe("12.3%");
  });
  it("reads as the browser's own en-US formatting does", () => {
    for (const value of [0, -1, 0.005, 1.005, 99.95, 1234.5678, -98765.4321, 1e21]) {
      expect(formatNumber(value)).toBe(value.toLocaleString("en-US", { maximumFractionDigits: 2 }));
      expect(formatPercent(value)).toBe(`${value.toLocaleString("en-US", { maximumFractionDigits: 1 })}%`);
    }
  });
  it("names special breakdown values", () => {
    expect(breakdownLabel("$$_posthog_breakdown_null_$$")).toBe("None");
    expect(breakdownLabel("$$_posthog_breakdown_other_$$")).toBe("Other");
    expect(breakdownLabel("Chrome")).toBe("Chrome");
  });
  it("neutralizes rich-text markup in tooltip text", () => {
    expect(tooltipText("{a|x}<img src=x onerror=alert(1)>")).toBe("(a¦x)<img src=x onerror=alert(1)>");
  });
});
