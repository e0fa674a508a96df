import { describe, expect, it } from "vitest";

import { formatBytes, parseRedacted, parseRetention, retentionText } from "./dataSettings";

describe("the data settings", () => {
  it("reads the retention period", () => {
    expect(parseRetention("")).toEqual({ days: null });
    expect(parseRetention(" 30 ")).toEqual({ days: 30 });
    expect(parseRetention("0")).toHaveProperty("error");
    expect(parseRetention("36501")).toHaveProperty("error");
    expect(parseRetention("1.5")).toHaveProperty("error");
    expect(parseRetention("thirty")).toHaveProperty("error");
  });

  it("reads the redacted properties", () => {
    expect(parseRedacted("$ip, email\n\n email \nphone,")).toEqual(["$ip", "email", "phone"]);
    expect(parseRedacted("  ")).toEqual([]);
  });

  it("says sizes and the period in words", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(18_806)).toBe("18.8 kB");
    expect(formatBytes(2_500_000_000)).toBe("2.5 GB");
    expect(retentionText(null)).toBe("Events are kept for ever.");
    expect(retentionText(1)).toBe("Events older than 1 day are deleted.");
    expect(retentionText(365)).toBe("Events older than 365 days are deleted.");
  });
});
