import { describe, expect, it } from "vitest";

import type { Tile } from "../dashboards/dashboardsApi";
import { changedLayouts, compact, moveTile, smLayout, xsLayout } from "./layout";

function tile(id: number, sm?: { x: number; y: number; w: number; h: number }): Tile {
  return { id, insight: null, text: { body: "" }, layouts: sm ? { sm } : {}, color: null };
}

// Two columns of 6 x 5 tiles, as the "Product analytics" dashboard starts.
const grid = [
  tile(1, { x: 0, y: 0, w: 6, h: 5 }),
  tile(2, { x: 6, y: 0, w: 6, h: 5 }),
  tile(3, { x: 0, y: 5, w: 6, h: 5 }),
  tile(4, { x: 6, y: 5, w: 6, h: 5 }),
];

describe("the dashboard grid", () => {
  it("places a tile with no stored place 6 x 5 below the others, and clamps odd places", () => {
    const layout = smLayout([...grid, tile(5), tile(6, { x: 11, y: -2, w: 20, h: 0 })]);
    expect(layout[4]).toEqual({ i: "5", x: 0, y: 10, w: 6, h: 5 });
    expect(layout[5]).toEqual({ i: "6", x: 0, y: 0, w: 12, h: 1 });
  });

  it("stacks the tiles in reading order on one column", () => {
    const xs = xsLayout(smLayout([3, 0, 2, 1].map((i) => grid[i] as Tile)));
    expect(xs.map((item) => [item.i, item.y, item.w])).toEqual([
      ["1", 0, 1],
      ["2", 5, 1],
      ["3", 10, 1],
      ["4", 15, 1],
    ]);
  });

  it("lets tiles fall up into gaps without overlapping", () => {
    const layout = compact([
      { i: "a", x: 0, y: 3, w: 12, h: 2 },
      { i: "b", x: 0, y: 9, w: 6, h: 4 },
      { i: "c", x: 4, y: 10, w: 8, h: 1 },
    ]);
    expect(layout).toEqual([
      { i: "a", x: 0, y: 0, w: 12, h: 2 },
      { i: "b", x: 0, y: 2, w: 6, h: 4 },
      { i: "c", x: 4, y: 6, w: 8, h: 1 },
    ]);
  });

  it("moves a tile up or down by swapping it with its neighbor in reading order", () => {
    const layout = smLayout(grid);
    const up = moveTile(layout, "3", -1);
    expect(up?.find((item) => item.i === "3")).toMatchObject({ x: 6, y: 0 });
    expect(up?.find((item) => item.i === "2")).toMatchObject({ x: 0, y: 5 });
    const down = moveTile(layout, "1", 1);
    expect(down?.find((item) => item.i === "1")).toMatchObject({ x: 6, y: 0 });
    expect(down?.find((item) => item.i === "2")).toMatchObject({ x: 0, y: 0 });
    expect(moveTile(layout, "1", -1)).toBeNull();
    expect(moveTile(layout, "4", 1)).toBeNull();
  });

  it("moves a wide tile past a narrow one without overlap", () => {
    const layout = [
      { i: "wide", x: 0, y: 0, w: 12, h: 3 },
      { i: "narrow", x: 6, y: 3, w: 6, h: 2 },
    ];
    const moved = moveTile(layout, "wide", 1);
    expect(moved).toEqual([
      { i: "wide", x: 0, y: 2, w: 12, h: 3 },
      { i: "narrow", x: 0, y: 0, w: 6, h: 2 },
    ]);
  });

  it("saves only the tiles whose place changed", () => {
    const layout = smLayout(grid).map((item) => (item.i === "2" ? { ...item, h: 8 } : item));
    expect(changedLayouts(grid, layout)).toEqual([{ id: 2, layouts: { sm: { x: 6, y: 0, w: 6, h: 8 } } }]);
    expect(changedLayouts([...grid, tile(9)], smLayout([...grid, tile(9)]))).toEqual([
      { id: 9, layouts: { sm: { x: 0, y: 10, w: 6, h: 5 } } },
    ]);
  });
});
