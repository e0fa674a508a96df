// The dashboards API (docs/api.md, dashboards): the list, one dashboard with its tiles,
// create (blank or from the "Product analytics" template), change, delete.

import { keepPreviousData, useQuery } from "@tanstack/react-query";

import type { DashboardFilters } from "../../insights/dashboardFilters";
import { api, projectPath } from "../../lib/api";
import type { Page } from "../../lib/types";
import type { Insight } from "../insights-list/insightsApi";

export interface DashboardSummary {
  id: number;
  name: string;
  description: string;
  pinned: boolean;
  created_at: string;
  last_modified_at: string;
  tile_count: number;
}

/** A tile's place on the 12-column grid, in grid units. */
export interface TileLayout {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Tile {
  id: number;
  insight: Insight | null;
  text: { body: string } | null;
  layouts: { sm?: TileLayout };
  color: string | null;
}

export interface Dashboard extends Omit<DashboardSummary, "tile_count"> {
  filters: DashboardFilters;
  tiles: Tile[];
}

/** One entry of PATCH `tiles`: a change to a tile, or (no id) a new text card. */
export type TileChange =
  | { id: number; layouts?: { sm: TileLayout }; text?: { body: string }; deleted?: true }
  | { text: { body: string }; layouts?: { sm: TileLayout } };

export interface DashboardChange {
  name?: string;
  description?: string;
  pinned?: boolean;
  filters?: DashboardFilters;
  tiles?: TileChange[];
}

export type DashboardTemplate = "product-analytics" | null;

export function dashboardsKey(projectId: number): unknown[] {
  return ["dashboards", projectId];
}

export function dashboardKey(projectId: number, id: number): unknown[] {
  return [...dashboardsKey(projectId), id];
}

export function useDashboardList(projectId: number, search: string) {
  return useQuery({
    queryKey: [...dashboardsKey(projectId), "list", search],
    queryFn: ({ signal }) => {
      const params = new URLSearchParams();
      if (search) params.set("search", search);
      const suffix = params.size > 0 ? `?${params}` : "";
      return api<Page<DashboardSummary>>(projectPath(projectId, `dashboards/${suffix}`), { signal });
    },
    placeholderData: keepPreviousData,
  });
}

export function useDashboard(projectId: number, id: number) {
  return useQuery({
    queryKey: dashboardKey(projectId, id),
    queryFn: ({ signal }) => api<Dashboard>(projectPath(projectId, `dashboards/${id}/`), { signal }),
    enabled: Number.isInteger(id) && id > 0,
    retry: (count, error) => !("status" in error && error.status === 404) && count < 2,
  });
}

export function createDashboard(
  projectId: number,
  body: { name: string; description: string; template: DashboardTemplate },
): Promise<Dashboard> {
  return api<Dashboard>(projectPath(projectId, "dashboards/"), { method: "POST", body });
}

export function changeDashboard(projectId: number, id: number, change: DashboardChange): Promise<Dashboard> {
  return api<Dashboard>(projectPath(projectId, `dashboards/${id}/`), { method: "PATCH", body: change });
}

export function deleteDashboard(projectId: number, id: number): Promise<void> {
  return api<void>(projectPath(projectId, `dashboards/${id}/`), { method: "DELETE" });
}
