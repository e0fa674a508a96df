// Every insight tile's result: its query (the insight's, with the dashboard's filters) sent
// to POST query/ at most TILE_CONCURRENCY at a time, top to bottom. A normal load takes a
// fresh-enough cached result ("blocking"); Refresh asks each tile again with
// "force_blocking" and counts the tiles done.

import { useQueries, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";

import { applyDashboardFilters, type DashboardFilters } from "../../insights/dashboardFilters";
import { api, ApiError, projectPath } from "../../lib/api";
import type { InsightQuery } from "../../insights/types";
import type { Tile } from "../dashboards/dashboardsApi";
import { createLimiter } from "./limiter";

/** The server runs 4 queries per project at once; one place stays free for the rest of the app. */
export const TILE_CONCURRENCY = 3;

export type RefreshMode = "blocking" | "force_blocking";

/** What this screen reads of a /query/ answer; the chart reads the rest. */
export interface TileResponse {
  results?: unknown;
  is_cached?: boolean;
  last_refresh?: string;
  [field: string]: unknown;
}

const limiter = createLimiter(TILE_CONCURRENCY);

export function tileResultKey(projectId: number, query: object): unknown[] {
  return ["tile-result", projectId, query];
}

/** The tiles' oldest `last_refresh`: how old what the dashboard shows is (null before any). */
export function oldestRefresh(responses: (TileResponse | undefined)[]): string | null {
  const times = responses.flatMap((r) => (typeof r?.last_refresh === "string" ? [r.last_refresh] : []));
  if (times.length === 0) return null;
  return times.reduce((oldest, t) => (Date.parse(t) < Date.parse(oldest) ? t : oldest));
}

function isTooManyQueries(error: Error): boolean {
  return error instanceof ApiError && error.status === 429;
}

/** Tiles in reading order (top to bottom, left to right): the order their queries start. */
export function readingOrder(tiles: Tile[]): Tile[] {
  const place = (tile: Tile) => tile.layouts.sm ?? { x: 0, y: Number.MAX_SAFE_INTEGER };
  return [...tiles].sort((a, b) => place(a).y - place(b).y || place(a).x - place(b).x);
}

export function useTileResults(projectId: number, tiles: Tile[], filters: DashboardFilters) {
  const queryClient = useQueryClient();
  // Keys of results to compute anew on their next run (Refresh), whatever the cache holds.
  const forced = useRef(new Set<string>());
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const insightTiles = readingOrder(tiles).filter((tile) => tile.insight !== null);
  const queries = insightTiles.map((tile) =>
    applyDashboardFilters(tile.insight?.query ?? { kind: "" }, filters),
  );

  const results = useQueries({
    queries: queries.map((query) => {
      const queryKey = tileResultKey(projectId, query);
      return {
        queryKey,
        queryFn: ({ signal }: { signal: AbortSignal }) =>
          limiter.run(() => {
            const hash = JSON.stringify(queryKey);
            const refresh: RefreshMode = forced.current.delete(hash) ? "force_blocking" : "blocking";
            return api<TileResponse>(projectPath(projectId, "query/"), {
              method: "POST",
              body: { query, refresh },
              signal,
            });
          }, signal),
        staleTime: Infinity, // the server's cache decides freshness; Refresh asks anew
        retry: (count: number, error: Error) => isTooManyQueries(error) && count < 5,
        retryDelay: 1000,
      };
    }),
  });

  async function refreshAll() {
    const keys = queries.map((query) => tileResultKey(projectId, query));
    setProgress({ done: 0, total: keys.length });
    await Promise.all(
      keys.map(async (queryKey) => {
        forced.current.add(JSON.stringify(queryKey));
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
