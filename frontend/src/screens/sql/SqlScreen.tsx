import { useState } from "react";
import { useSearchParams } from "react-router";

import { ExportButton } from "../../components/ExportButton";
import { ApiError } from "../../lib/api";
import { useProject } from "../shell/project";
import { resultNote } from "./cells";
import { csvFileName, toCsv } from "./csv";
import { ResultTable } from "./ResultTable";
import { SqlEditor, type EditorText } from "./SqlEditor";
import { useSqlCatalog } from "./useSqlCatalog";
import { useSqlRun, type SqlResult } from "./useSqlRun";
import "./sql.css";

const ERROR_TITLES: Record<string, string> = {
  invalid_sql: "The query is not valid SQL here",
  query_failed: "ClickHouse could not run the query",
  query_timeout: "The query took too long",
  query_memory_limit: "The query needed too much memory",
  query_result_too_large: "The result is too large",
  too_many_queries: "Too many queries are running",
};

// query_failed messages start with what the title already says.
const CLICKHOUSE_PREFIX = /^ClickHouse could not run the query: /;

function download(result: SqlResult): void {
  // A byte order mark so that spreadsheets read the file as UTF-8.
  const blob = new Blob(["\ufeff", toCsv(result.columns, result.results)], {
    type: "text/csv;charset=utf-8",
  });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = csvFileName(new Date());
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function RunError({ error }: { error: Error }) {
  const code = error instanceof ApiError ? error.code : "error";
  return (
    <div role="alert" className="sql-error">
      <p className="sql-error-title">
        {ERROR_TITLES[code] ?? "The query could not run"} <code>{code}</code>
      </p>
      <pre>{error.message.replace(CLICKHOUSE_PREFIX, "")}</pre>
    </div>
  );
}

/** `/sql`: write SQL over events and persons, run it, read or download the result. */
export default function SqlScreen() {
  const { project } = useProject();
  const [params, setParams] = useSearchParams();
  const urlQuery = params.get("q") ?? "";
  const [draft, setDraft] = useState(urlQuery);
  const [editorText, setEditorText] = useState<EditorText>({ text: urlQuery, version: 0 });
  const [knownQuery, setKnownQuery] = useState(urlQuery);
  // The URL changed by other means (back, forward, a link): the editor follows it.
  if (knownQuery !== urlQuery) {
    setKnownQuery(urlQuery);
    setDraft(urlQuery);
    setEditorText({ text: urlQuery, version: editorText.version + 1 });
  }
  const catalog = useSqlCatalog(project.id);
  const run = useSqlRun(project.id, urlQuery);

  function start() {
    if (draft.trim() === "") return;
    if (draft === urlQuery) {
      run.rerun();
    } else {
      setKnownQuery(draft);
      setParams({ q: draft });
    }
  }

  const types = new Map(run.result?.types ?? []);
  return (
    <section className="sql-screen" aria-labelledby="sql-title">
      <header className="screen-header">
        <h1 id="sql-title">SQL</h1>
      </header>
      <p className="intro">
        Read-only SQL over <code>events</code>, <code>persons</code> and <code>person_distinct_ids</code>{" "}
        of this project.
      </p>
      <SqlEditor value={editorText} onChange={setDraft} onRun={start} catalog={catalog} />
      <div className="sql-actions">
        <button type="button" onClick={start} disabled={draft.trim() === ""}>
          Run
        </button>
        <span className="muted">Ctrl+Enter (⌘+Enter on a Mac) runs it too.</span>
        {run.running && (
          <>
            <span role="status" className="sql-running">
              Running…
            </span>
            <button type="button" className="secondary" onClick={run.cancel}>
              Cancel
            </button>
          </>
        )}
        {run.result && !run.running && (
          <button
            type="button"
            className="secondary sql-download"
            onClick={() => run.result && download(run.result)}
          >
            Download CSV
          </button>
        )}
        {urlQuery.trim() !== "" && !run.running && (
          <ExportButton
            projectId={project.id}
            query={{ kind: "HogQLQuery", query: urlQuery }}
            what="every row of the query"
          />
        )}
      </div>
      {run.cancelled && (
        <p role="status" className="muted">
          Cancelled. Run it again when you are ready.
        </p>
      )}
      {run.error && !run.running && <RunError error={run.error} />}
      {run.result && !run.running && (
        <>
          <p role="status" className="muted sql-note">
            {resultNote(run.result.results.length, run.result.hasMore, run.result.limit)}
          </p>
          {run.result.columns.length > 0 && (
            <ResultTable columns={run.result.columns} types={types} rows={run.result.results} />
          )}
        </>
      )}
      {!urlQuery && !run.result && (
        <p className="muted">
          Write a query and press Run. Try{" "}
          <code>SELECT event, count() FROM events GROUP BY event ORDER BY count() DESC</code>.
        </p>
      )}
    </section>
  );
}
