// `/insights/new` and `/insights/<short id>`: the insight editor. The query being edited is
// in the address (`?q=`), so a reload or a shared link shows the same insight; on a saved
// insight `?q=` holds unsaved edits.

import { useEffect } from "react";
import { Link, useParams, useSearchParams } from "react-router";

import type { InsightKind, InsightQuery } from "../../insights/types";
import { useProject } from "../shell/project";
import { InsightEditor } from "./InsightEditor";
import { useSavedInsight } from "./insightsApi";
import { defaultQuery, queryFromSearch, searchForQuery } from "./insightState";
import { ResultPanel } from "./ResultPanel";
import { SaveBar } from "./SaveBar";
import "./insight.css";

export default function InsightScreen() {
  const { shortId } = useParams();
  const { project } = useProject();
  const [search, setSearch] = useSearchParams();
  const saved = useSavedInsight(project.id, shortId);
  const fromUrl = queryFromSearch(search);
  const savedQuery = saved.data?.query ?? null;
  const query: InsightQuery | null = fromUrl ?? savedQuery ?? (shortId ? null : defaultQuery("TrendsQuery"));
  const edited = fromUrl !== null && savedQuery !== null && JSON.stringify(fromUrl) !== JSON.stringify(savedQuery);

  // A new insight's query is written to the address at once, so the link can be shared.
  useEffect(() => {
    if (!shortId && !search.get("q")) {
      setSearch(searchForQuery(defaultQuery("TrendsQuery" as InsightKind)).slice(1), { replace: true });
    }
  }, [shortId, search, setSearch]);

  const setQuery = (next: InsightQuery) => setSearch(searchForQuery(next).slice(1), { replace: true });

  if (shortId && saved.isPending) return <p className="loading">Loading insight…</p>;
  if (shortId && saved.isError) {
    return (
      <p role="alert" className="error">
        {saved.error.message}
      </p>
    );
  }
  if (shortId && !saved.data) {
    return (
      <div className="insight-screen">
        <h1>Insight not found</h1>
        <p>
          No insight of this project has the id {shortId}. <Link to="/insights">See all insights</Link> or{" "}
          <Link to="/insights/new">make a new one</Link>.
        </p>
      </div>
    );
  }
  if (!query) return null;
  return (
    <div className="insight-screen">
      <header className="insight-header">
        <h1>{saved.data?.name || "New insight"}</h1>
        {saved.data?.description && <p className="muted">{saved.data.description}</p>}
        {edited && (
          <p className="muted">
            Unsaved changes. <Link to={`/insights/${shortId ?? ""}`}>Discard them</Link>
          </p>
        )}
      </header>
      <SaveBar key={saved.data?.id ?? "new"} projectId={project.id} saved={saved.data ?? null} query={query} edited={edited} />
      <InsightEditor project={project} query={query} onChange={setQuery} />
      <ResultPanel projectId={project.id} timezone={project.timezone} query={query} />
    </div>
  );
}
