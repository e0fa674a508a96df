// What each insight tile asks POST query/ (its insight's query with the dashboard's filters),
// and how: at most TILE_CONCURRENCY at a time, top to bottom, retried on 429. Small and free
// of React components: DashboardRoute (in the first load) starts these requests while the
// dashboard's own code is still loading.

import type { QueryClient } from "@tanstack/react-query";

import { applyDashboardFilters, NO_DASHBOARD_FILTERS, type DashboardFilters } from "../../insights/dashboardFilters";
import { api, ApiError, projectPath } from "../../lib/api";
import type { Dashboard, Tile } from "../dashboards/dashboardsApi";
import { dashboardKey } from "../dashboards/dashboardsApi";
import { createLimiter } from "../../lib/limiter";

/** The server runs 4 queries per project at once; one place stays free for the rest of the app. */
export const TILE_CONCURRENCY = 3;

export type RefreshMode = "blocking" | "force_blocking";

/** What this screen reads of a /query/ answer; the chart reads the rest. */
export interface TileResponse {
  results?: unknown;
  is_cached?: boolean;
  /** Answered to `refresh: "force_cache"` when nothing is cached. */
  cache_missing?: boolean;
  last_refresh?: string;
  [field: string]: unknown;
}

const limiter = createLimiter(TILE_CONCURRENCY);

export function tileResultKey(projectId: number, query: object): unknown[] {
  return ["tile-result", projectId, query];
}

/** Tiles in reading order (top to bottom, left to right): the order their queries start. */
export function readingOrder(tiles: Tile[]): Tile[] {
  const place = (tile: Tile) => tile.layouts.sm ?? { x: 0, y: Number.MAX_SAFE_INTEGER };
  return [...tiles].sort((a, b) => place(a).y - place(b).y || place(a).x - place(b).x);
}

/** The insight tiles in reading order, and the query each runs. */
export function tileQueries(tiles: Tile[], filters: DashboardFilters): { tiles: Tile[]; queries: object[] } {
  const ordered = readingOrder(tiles).filter((tile) => tile.insight !== null);
  return {
    tiles: ordered,
    queries: ordered.map((tile) => applyDashboardFilters(tile.insight?.query ?? { kind: "" }, filters)),
  };
}

function isTooManyQueries(error: Error): boolean {
  return error instanceof ApiError && error.status === 429;
}

function ask(projectId: number, query: object, refresh: RefreshMode | "force_cache", signal: AbortSignal) {
  return api<TileResponse>(projectPath(projectId, "query/"), {
    method: "POST",
    body: { query, refresh },
    signal,
  });
}

/**
 * The TanStack Query options of one tile's result; `refresh` says how, when it runs. A normal
 * run first asks for the cached result only (`force_cache`: answered from the server's cache
 * without taking one of the project's query places, so every tile asks at once); only a
 * tile with nothing cached then waits its turn in the queue to be computed.
 */
export function tileQueryOptions(projectId: number, query: object, refresh: () => RefreshMode) {
  return {
    queryKey: tileResultKey(projectId, query),
    queryFn: async ({ signal }: { signal: AbortSignal }) => {
      const mode = refresh();
      if (mode === "blocking") {
        const cached = await ask(projectId, query, "force_cache", signal);
        if (!cached.cache_missing) return cached;
      }
      return limiter.run(() => ask(projectId, query, mode, signal), signal);
    },
    staleTime: Infinity, // the server's cache decides freshness; Refresh asks anew
    retry: (count: number, error: Error) => isTooManyQueries(error) && count < 5,
    retryDelay: 1000,
  };
}

export function fetchDashboard(projectId: number, id: number, signal?: AbortSignal): Promise<Dashboard> {
  return api<Dashboard>(projectPath(projectId, `dashboards/${id}/`), { signal });
}

/** Ask for the dashboard, then for its tiles' results, into the cache the screen reads. */
export async function prefetchDashboard(queryClient: QueryClient, projectId: number, id: number): Promise<void> {
  if (!Number.isInteger(id) || id <= 0) return;
  const dashboard = await queryClient.fetchQuery({
    queryKey: dashboardKey(projectId, id),
    queryFn: ({ signal }) => fetchDashboard(projectId, id, signal),
    staleTime: 2_000,
  });
  const { queries } = tileQueries(dashboard.tiles, { ...NO_DASHBOARD_FILTERS, ...dashboard.filters });
  for (const query of queries) {
    void queryClient.prefetchQuery(tileQueryOptions(projectId, query, () => "blocking"));
  }
}
