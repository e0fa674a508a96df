import { describe, expect, it } from "vitest";

import type { DashboardSummary } from "./dashboardsApi";
import { dashboardName, pinnedFirst, tileCountText } from "./dashboardsList";

function dashboard(id: number, pinned: boolean): DashboardSummary {
  const at = "2026-12-01T10:00:00Z";
  return { id, name: `D${id}`, description: "", pinned, created_at: at, last_modified_at: at, tile_count: 0 };
}

describe("the dashboards list", () => {
  it("puts pinned dashboards first and keeps the server's order within each part", () => {
    const ordered = pinnedFirst([dashboard(1, false), dashboard(2, true), dashboard(3, false), dashboard(4, true)]);
    expect(ordered.map((d) => d.id)).toEqual([2, 4, 1, 3]);
  });

  it("counts tiles in words and names a nameless dashboard", () => {
    expect(tileCountText(0)).toBe("0 tiles");
    expect(tileCountText(1)).toBe("1 tile");
    expect(tileCountText(6)).toBe("6 tiles");
    expect(dashboardName({ name: " " })).toBe("Unnamed dashboard");
  });
});
