// Every insight tile's result: a normal load takes a fresh-enough cached result
// ("blocking"); Refresh asks each tile again with "force_blocking" and counts the tiles done.

import { useQueries, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";

import type { DashboardFilters } from "../../insights/dashboardFilters";
import type { InsightQuery } from "../../insights/types";
import type { Tile } from "../dashboards/dashboardsApi";
import { tileQueries, tileQueryOptions, tileResultKey, type TileResponse } from "./tileQueries";

export type { TileResponse } from "./tileQueries";

/** The tiles' oldest `last_refresh`: how old what the dashboard shows is (null before any). */
export function oldestRefresh(responses: (TileResponse | undefined)[]): string | null {
  const times = responses.flatMap((r) => (typeof r?.last_refresh === "string" ? [r.last_refresh] : []));
  if (times.length === 0) return null;
  return times.reduce((oldest, t) => (Date.parse(t) < Date.parse(oldest) ? t : oldest));
}

export function useTileResults(projectId: number, tiles: Tile[], filters: DashboardFilters) {
  const queryClient = useQueryClient();
  // Keys of results to compute anew on their next run (Refresh), whatever the cache holds:
  // one Set for the screen's life, read when a query runs (not a render's state).
  const [forced] = useState(() => new Set<string>());
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  // The same query objects from render to render (until the tiles or filters change), so a
  // tile's chart is not worked out again each time another tile's answer arrives.
  const filtersKey = JSON.stringify(filters);
  const { tiles: insightTiles, queries } = useMemo(
    () => tileQueries(tiles, JSON.parse(filtersKey) as DashboardFilters),
    [tiles, filtersKey],
  );

  const results = useQueries({
    queries: queries.map((query) => {
      const hash = JSON.stringify(tileResultKey(projectId, query));
      return tileQueryOptions(projectId, query, () =>
        forced.delete(hash) ? "force_blocking" : "blocking",
      );
    }),
  });

  async function refreshAll() {
    const keys = queries.map((query) => tileResultKey(projectId, query));
    setProgress({ done: 0, total: keys.length });
    await Promise.all(
      keys.map(async (queryKey) => {
        forced.add(JSON.stringify(queryKey));
        await queryClient.refetchQueries({ queryKey, exact: true });
        setProgress((p) => p && { ...p, done: p.done + 1 });
      }),
    );
    setProgress(null);
  }

  const byTile = new Map(
    insightTiles.map((tile, i) => [tile.id, { query: queries[i] as InsightQuery, result: results[i] }]),
  );
  return { byTile, refreshAll, progress };
}
