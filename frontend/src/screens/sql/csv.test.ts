import { describe, expect, it } from "vitest";

import { cellText, csvField, csvFileName, toCsv } from "./csv";

describe("toCsv", () => {
  it("writes a header and rows with CRLF line ends", () => {
    expect(toCsv(["event", "count()"], [["purchase", 2], ["$pageview", 10]])).toBe(
      "event,count()\r\npurchase,2\r\n$pageview,10\r\n",
    );
  });

  it("quotes commas, quotes and line breaks, doubling quotes", () => {
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\rlf")).toBe('"cr\rlf"');
    expect(csvField(" padded ")).toBe('" padded "');
    expect(csvField("plain")).toBe("plain");
  });

  it("writes NULL as empty, objects as JSON, numbers and booleans as they are", () => {
    expect(toCsv(["a", "b", "c", "d"], [[null, { k: "v,w" }, 1.5, false]])).toBe(
      'a,b,c,d\r\n,"{""k"":""v,w""}",1.5,false\r\n',
    );
  });

  it("keeps hostile text as text in spreadsheets", () => {
    expect(cellText("=HYPERLINK(\"http://x\")")).toBe("'=HYPERLINK(\"http://x\")");
    expect(cellText("+1+cmd|' /C calc'!A0")).toBe("'+1+cmd|' /C calc'!A0");
    expect(cellText("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(cellText("-2+3")).toBe("'-2+3");
    expect(cellText("\t=1")).toBe("'\t=1");
    expect(cellText("<img src=x onerror=alert(1)>")).toBe("<img src=x onerror=alert(1)>");
    // Numbers, as numbers or as text, are left alone.
    expect(cellText("-5")).toBe("-5");
    expect(cellText("+3.25")).toBe("+3.25");
    expect(cellText(-5)).toBe("-5");
    expect(csvField('=cmd,"x"')).toBe('"\'=cmd,""x"""');
  });

  it("names the file after the time", () => {
    expect(csvFileName(new Date("2026-11-24T10:15:00.123Z"))).toBe(
      "hedgerow-sql-2026-11-24-101500.csv",
    );
  });
});
