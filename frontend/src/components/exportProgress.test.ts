import { describe, expect, it } from "vitest";

import { filenameOf } from "../lib/api";
import { NO_PROGRESS, advance, progressText } from "./exportProgress";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("export progress", () => {
  it("counts rows by lines, less the CSV header", () => {
    const progress = advance(advance(NO_PROGRESS, bytes("uuid,event\na,b\n")), bytes("c,d\n"));
    expect(progressText("csv", progress, 4)).toBe("Exporting: 2 of 4 rows (50%)");
    expect(progressText("jsonl", advance(NO_PROGRESS, bytes("{}\n{}\n")), 2)).toBe(
      "Exporting: 2 of 2 rows (100%)",
    );
  });

  it("counts Parquet in bytes", () => {
    const progress = advance(NO_PROGRESS, new Uint8Array(2048));
    expect(progressText("parquet", progress, 10)).toBe("Exporting: 2.0 KB received for 10 rows");
  });

  it("reads the file name of Content-Disposition", () => {
    expect(filenameOf('attachment; filename="hedgerow-1.csv"')).toBe("hedgerow-1.csv");
    expect(filenameOf(null)).toBeNull();
  });
});
