// Visitors over time: a TrendsQuery of daily (hourly, weekly) unique visitors of page views,
// drawn by the insights' own trends chart (with the previous period dashed when comparing).

import { useMemo } from "react";

import { TrendsViz } from "../../insights/TrendsViz";
import type { TrendsResponse } from "../../insights/types";
import { filterLabel } from "./breakdowns";
import { chartFilters, visitorsTrendQuery } from "./webQueries";
import type { WebState } from "./webState";
import { useWebQuery } from "./useWebQuery";

interface Props {
  projectId: number;
  state: WebState;
}

export function VisitorsChart({ projectId, state }: Props) {
  const query = useMemo(() => visitorsTrendQuery(state), [state]);
  const trend = useWebQuery<TrendsResponse>(projectId, query);
  const response = trend.data;
  const empty = response && response.results.every((series) => series.data.every((value) => !value));
  const skipped = chartFilters(state).skipped;
  return (
    <section className="web-card web-chart" aria-labelledby="web-chart-title" aria-busy={trend.isFetching}>
      <h2 id="web-chart-title">Visitors over time</h2>
      {skipped.length > 0 && (
        <p className="muted web-chart-note">
          Not filtered by {skipped.map(filterLabel).join("; ")} (the chart compares paths as recorded, not cleaned).
        </p>
      )}
      {trend.error && (
        <p role="alert" className="error">
          Could not load visitors over time: {trend.error.message}
        </p>
      )}
      {!response && !trend.error && <p className="loading">Loading…</p>}
      {response && empty && <p className="web-empty">No page views in this period.</p>}
      {response && !empty && (
        // The query that answered (the previous one while a new one loads) draws the chart.
        <TrendsViz query={query} response={response} compact={false} height={260} />
      )}
    </section>
  );
}
