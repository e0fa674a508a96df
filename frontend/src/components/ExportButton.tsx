import { useRef, useState } from "react";

import { apiDownload, projectPath } from "../lib/api";
import { EXPORT_FORMATS, NO_PROGRESS, advance, progressText, type ExportFormat } from "./exportProgress";
import "./exportButton.css";

interface Props {
  projectId: number;
  /** The EventsQuery or HogQLQuery to export (all its rows, not one page). */
  query: object;
  /** What the export holds, for the accessible names ("events", "query result"). */
  what: string;
}

function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A format choice and an Export button: downloads every row of `query` through
 * POST /exports/, showing the rows (or bytes) received so far. */
export function ExportButton({ projectId, query, what }: Props) {
  const [format, setFormat] = useState<ExportFormat>("csv");
  const [status, setStatus] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const controller = useRef<AbortController | null>(null);

  async function start() {
    const abort = new AbortController();
    controller.current = abort;
    setRunning(true);
    setFailure(null);
    setStatus("Exporting: starting…");
    let progress = NO_PROGRESS;
    try {
      const file = await apiDownload(
        projectPath(projectId, "exports/"),
        { format, query },
        (chunk, rows) => {
          progress = advance(progress, chunk);
          setStatus(progressText(format, progress, rows));
        },
        abort.signal,
      );
      save(file.blob, file.filename ?? `hedgerow-export.${format}`);
      const rows = file.rows === null ? "" : `${file.rows.toLocaleString("en-US")} rows, `;
      setStatus(`Exported ${rows}${file.blob.size.toLocaleString("en-US")} bytes.`);
    } catch (error) {
      setStatus(null);
      if (!abort.signal.aborted) setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      controller.current = null;
      setRunning(false);
    }
  }

  return (
    <div className="export-button" role="group" aria-label={`Export ${what}`}>
      <label>
        Format{" "}
        <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)} disabled={running}>
          {EXPORT_FORMATS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      {running ? (
        <button type="button" className="secondary" onClick={() => controller.current?.abort()}>
          Cancel export
        </button>
      ) : (
        <button type="button" className="secondary" onClick={() => void start()}>
          Export
        </button>
      )}
      {status && (
        <span role="status" className="muted export-status">
          {status}
        </span>
      )}
      {failure && (
        <span role="alert" className="error export-status">
          Export failed: {failure}
        </span>
      )}
    </div>
  );
}
