// Tiles on the grid: 12 columns above 1024 px ("sm", the layout the server keeps), one column
// below ("xs", made here from the sm layout's reading order). A moved tile is saved as its
// new sm place; "Move up"/"Move down" (the keyboard's way to move a tile) swap it with its
// neighbor in reading order and let the tiles fall up into the gaps.

import type { Tile, TileLayout } from "../dashboards/dashboardsApi";

export const COLUMNS = 12;
/** A tile with no stored place: 6 wide and 5 high, below the others (as the server adds them). */
export const NEW_TILE = { w: 6, h: 5 };

export interface GridItem extends TileLayout {
  i: string;
}

export function tileKey(tile: Pick<Tile, "id">): string {
  return String(tile.id);
}

function fits(item: TileLayout): TileLayout {
  const w = Math.min(Math.max(1, Math.round(item.w)), COLUMNS);
  return {
    w,
    h: Math.max(1, Math.round(item.h)),
    x: Math.min(Math.max(0, Math.round(item.x)), COLUMNS - w),
    y: Math.max(0, Math.round(item.y)),
  };
}

function byReadingOrder(a: TileLayout, b: TileLayout): number {
  return a.y - b.y || a.x - b.x;
}

/** The 12-column layout of the tiles; a tile with no place goes below the rest. */
export function smLayout(tiles: Tile[]): GridItem[] {
  const placed = tiles.filter((t) => t.layouts.sm);
  let bottom = Math.max(0, ...placed.map((t) => fits(t.layouts.sm as TileLayout)).map((l) => l.y + l.h));
  return tiles.map((tile) => {
    if (tile.layouts.sm) return { i: tileKey(tile), ...fits(tile.layouts.sm) };
    const item = { i: tileKey(tile), x: 0, y: bottom, ...NEW_TILE };
    bottom += NEW_TILE.h;
    return item;
  });
}

/** The one-column layout: the tiles in reading order, each as high as on the wide grid. */
export function xsLayout(sm: GridItem[]): GridItem[] {
  let y = 0;
  return [...sm].sort(byReadingOrder).map((item) => {
    const placed = { i: item.i, x: 0, y, w: 1, h: item.h };
    y += item.h;
    return placed;
  });
}

function overlaps(a: TileLayout, b: TileLayout): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Each tile, in reading order, at the highest free place of its columns (no overlaps, no gaps above). */
export function compact(layout: GridItem[]): GridItem[] {
  const placed: GridItem[] = [];
  for (const item of [...layout].sort(byReadingOrder)) {
    const next = { ...item, y: 0 };
    let blocker = placed.find((other) => overlaps(next, other));
    while (blocker) {
      next.y = blocker.y + blocker.h;
      blocker = placed.find((other) => overlaps(next, other));
    }
    placed.push(next);
  }
  const order = new Map(layout.map((item, index) => [item.i, index]));
  return placed.sort((a, b) => (order.get(a.i) ?? 0) - (order.get(b.i) ?? 0));
}

/** Swap a tile with the one before (-1) or after (+1) it in reading order; null at an end. */
export function moveTile(layout: GridItem[], key: string, direction: -1 | 1): GridItem[] | null {
  const ordered = [...layout].sort(byReadingOrder);
  const index = ordered.findIndex((item) => item.i === key);
  const other = ordered[index + direction];
  const item = ordered[index];
  if (!item || !other) return null;
  const swapped = layout.map((entry) => {
    if (entry.i === item.i) return { ...entry, x: Math.min(other.x, COLUMNS - entry.w), y: other.y };
    if (entry.i === other.i) return { ...entry, x: Math.min(item.x, COLUMNS - entry.w), y: item.y };
    return entry;
  });
  return compact(swapped);
}

/** The tiles whose place differs from what the server has: the PATCH `tiles` entries. */
export function changedLayouts(tiles: Tile[], layout: readonly GridItem[]) {
  const stored = new Map(tiles.map((tile) => [tileKey(tile), tile.layouts.sm]));
  return layout.flatMap((item) => {
    const before = stored.get(item.i);
    const sm = { x: item.x, y: item.y, w: item.w, h: item.h };
    const same = before && before.x === sm.x && before.y === sm.y && before.w === sm.w && before.h === sm.h;
    return stored.has(item.i) && !same ? [{ id: Number(item.i), layouts: { sm } }] : [];
  });
}
