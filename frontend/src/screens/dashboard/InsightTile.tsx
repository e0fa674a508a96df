import type { UseQueryResult } from "@tanstack/react-query";
import { Link } from "react-router";

import type { InsightQuery } from "../../insights/types";

import type { Insight } from "../insights-list/insightsApi";
import { moduleLoader } from "../../lib/moduleLoader";
import { insightPath } from "../insights-list/insightsApi";
import { insightName } from "../insights-list/insightsList";
import type { TileResponse } from "./tileResults";

// The charts (ECharts, 600 KB) load beside the dashboard and its queries, not before them: a
// static import would hold the screen back until the chart code had been parsed. Loading
// starts as soon as this screen's code runs.
const charts = moduleLoader(() => import("../../insights/InsightViz").then((module) => module.InsightViz));
void charts.preload().catch(() => undefined);

function TileLoading() {
  return (
    <p className="tile-state loading" role="status">
      Loading…
    </p>
  );
}

interface Props {
  /** The query the tile ran: the insight's, with the dashboard's filters. */
  query: InsightQuery;
  result: UseQueryResult<TileResponse> | undefined;
  onPointClick: (actors: object) => void;
}

/** An insight on the dashboard: its name linking to it, and its chart (or why there is none). */
export function InsightTileBody({ query, result, onPointClick }: Props) {
  const chart = charts.useLoaded();
  if (!result || result.isPending) return <TileLoading />;
  if (chart.status === "failed") {
    return (
      <p className="tile-state error" role="alert">
        Could not load the charts: {chart.error.message}. Reload the page.
      </p>
    );
  }
  if (chart.status === "loading") return <TileLoading />;
  const InsightViz = chart.value;
  if (result.isError) {
    return (
      <div className="tile-state error" role="alert">
        <p>Could not load this insight: {result.error.message}</p>
        <button type="button" className="secondary" onClick={() => void result.refetch()}>
          Try again
        </button>
      </div>
    );
  }
  return (
    <div className={result.isFetching ? "tile-chart fetching" : "tile-chart"} aria-busy={result.isFetching}>
      <InsightViz query={query} response={result.data} compact onPointClick={onPointClick} />
    </div>
  );
}

export function InsightTileTitle({ insight }: { insight: Insight }) {
  const name = insightName(insight);
  return (
    <h2 className="tile-title" title={insight.description || name}>
      <Link to={insightPath(insight)}>{name}</Link>
    </h2>
  );
}
