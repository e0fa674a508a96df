// The chart of the current query: re-run (debounced) on every change, with a loading state,
// the error if any, "Computed <x ago>" and Refresh; a clicked point opens its persons.

import { useEffect, useMemo, useState } from "react";

import { ActorsModal } from "../../insights/ActorsModal";
import { InsightViz } from "../../insights/InsightViz";
import type { InsightQuery } from "../../insights/types";
import { relativeTime } from "../../lib/time";
import { useNow } from "../../lib/useNow";
import { runnableQuery } from "./insightState";
import { useInsightResult } from "./useInsightResult";

const DEBOUNCE_MS = 300;

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setDebounced(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export function ResultPanel({ projectId, timezone, query }: { projectId: number; timezone: string; query: InsightQuery }) {
  // The query as text: equal queries are one value, so the debounce settles.
  const text = JSON.stringify(runnableQuery(query));
  const debounced = useDebounced(text, DEBOUNCE_MS);
  const running = useMemo(() => JSON.parse(debounced) as InsightQuery, [debounced]);
  const { result, refresh } = useInsightResult(projectId, running, true);
  const [actors, setActors] = useState<object | null>(null);
  const now = useNow(15_000);
  const data = result.data;
  const loading = result.isFetching || debounced !== text;
  return (
    <section className="insight-result" aria-labelledby="result-heading" aria-busy={loading}>
      <div className="result-bar">
        <h2 id="result-heading">Result</h2>
        <span className="muted" role="status">
          {loading ? "Loading…" : data?.response.last_refresh ? `Computed ${relativeTime(data.response.last_refresh, now)}` : ""}
        </span>
        <span className="muted">Time zone: {data?.response.timezone ?? timezone}</span>
        <button type="button" className="secondary" onClick={refresh} disabled={result.isFetching}>
          Refresh
        </button>
      </div>
      {result.isError && (
        <p role="alert" className="error">
          {result.error.message}
        </p>
      )}
      {data && (
        <div className={loading ? "result-body stale" : "result-body"}>
          <InsightViz query={data.query} response={data.response} onPointClick={setActors} />
        </div>
      )}
      {!data && result.isPending && <p className="loading">Loading…</p>}
      {actors && <ActorsModal projectId={projectId} actorsSource={actors} onClose={() => setActors(null)} />}
    </section>
  );
}
