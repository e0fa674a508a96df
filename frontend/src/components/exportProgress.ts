// The export's progress, from the bytes received so far: CSV and JSON lines end every row
// with a newline (a CSV header is one more line); Parquet is counted in bytes only.

export type ExportFormat = "csv" | "jsonl" | "parquet";

export const EXPORT_FORMATS: { value: ExportFormat; label: string }[] = [
  { value: "csv", label: "CSV" },
  { value: "jsonl", label: "JSON lines" },
  { value: "parquet", label: "Parquet" },
];

export interface Progress {
  bytes: number;
  lines: number;
}

export const NO_PROGRESS: Progress = { bytes: 0, lines: 0 };

const NEWLINE = 10;

export function advance(progress: Progress, chunk: Uint8Array): Progress {
  let lines = progress.lines;
  for (const byte of chunk) if (byte === NEWLINE) lines++;
  return { bytes: progress.bytes + chunk.length, lines };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** "Exporting: 1,200 of 5,000 rows (24%)" or, for Parquet, the bytes received so far. */
export function progressText(format: ExportFormat, progress: Progress, total: number | null): string {
  const received = formatBytes(progress.bytes);
  if (format === "parquet" || total === null) {
    const of = total === null ? "" : ` for ${total.toLocaleString("en-US")} rows`;
    return `Exporting: ${received} received${of}`;
  }
  const rows = Math.min(total, Math.max(0, progress.lines - (format === "csv" ? 1 : 0)));
  const percent = total === 0 ? 100 : Math.floor((rows / total) * 100);
  return `Exporting: ${rows.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} rows (${percent}%)`;
}
