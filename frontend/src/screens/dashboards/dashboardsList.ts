// What the dashboards list shows: pinned dashboards first, the tile count in words.

import type { DashboardSummary } from "./dashboardsApi";

/** Pinned dashboards first; otherwise the server's order (newest change first) is kept. */
export function pinnedFirst(dashboards: DashboardSummary[]): DashboardSummary[] {
  return [...dashboards.filter((d) => d.pinned), ...dashboards.filter((d) => !d.pinned)];
}

export function tileCountText(count: number): string {
  return count === 1 ? "1 tile" : `${count} tiles`;
}

export function dashboardName(dashboard: Pick<DashboardSummary, "name">): string {
  return dashboard.name.trim() || "Unnamed dashboard";
}

export function emptyDashboardsText(search: string): string {
  return `No dashboard's name or description contains “${search}”.`;
}
