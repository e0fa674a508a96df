// The tiles on react-grid-layout's responsive grid: 12 columns when the screen is wide, one
// when narrow. A tile moves by dragging its handle (⠿) and resizes by its corner; where a
// pointer cannot, its "Move up"/"Move down" buttons do. Every move is saved at once.

import { useEffect, useState, type ReactNode } from "react";
import { Responsive, useContainerWidth, type Layout } from "react-grid-layout";
import "react-grid-layout/css/styles.css";

import type { Tile } from "../dashboards/dashboardsApi";
import { COLUMNS, moveTile, smLayout, tileKey, xsLayout, type GridItem } from "./layout";

/**
 * The grid's own width (the screen beside the sidebar) where it turns to 12 columns: a
 * window about 1024 px wide, less the 220 px sidebar and the screen's padding.
 */
export const WIDE_GRID_PX = 760;
const ROW_HEIGHT = 48;
const MARGIN: [number, number] = [14, 14];

export interface TileFrame {
  tile: Tile;
  title: ReactNode;
  /** The tile's accessible name ("Page views"), for its buttons. */
  name: string;
  body: ReactNode;
  /** Buttons of the tile's own (edit a text card). */
  actions?: ReactNode;
}

interface Props {
  frames: TileFrame[];
  onLayout: (layout: GridItem[]) => void;
  onRemove: (tile: Tile) => void;
}

export function DashboardGrid({ frames, onLayout, onRemove }: Props) {
  // Tiles are placed at the grid's measured width from the start: laid out first at the
  // library's default width (1280 px) they shrank into place, and every chart drawn while
  // they did was drawn again at the final size.
  const { width, containerRef, mounted } = useContainerWidth({ measureBeforeMount: true });
  const placed = usePlaced(mounted);
  // The grid's breakpoint, from its own width (as react-grid-layout picks the columns).
  const wide = width >= WIDE_GRID_PX;
  const sm = smLayout(frames.map((frame) => frame.tile));

  function move(tile: Tile, direction: -1 | 1) {
    const moved = moveTile(sm, tileKey(tile), direction);
    if (moved) onLayout(moved);
  }

  function save(layout: Layout) {
    // Only the 12-column layout is stored; the one-column one is made from it.
    if (wide) onLayout(layout.map(({ i, x, y, w, h }) => ({ i, x, y, w, h })));
  }

  return (
    <div ref={containerRef} className={placed ? "dashboard-grid placed" : "dashboard-grid"}>
      {mounted && (
        <Responsive
          width={width}
          breakpoints={{ sm: WIDE_GRID_PX, xs: 0 }}
          cols={{ sm: COLUMNS, xs: 1 }}
          layouts={{ sm, xs: xsLayout(sm) }}
          rowHeight={ROW_HEIGHT}
          margin={MARGIN}
          containerPadding={[0, 0]}
          dragConfig={{ handle: ".tile-handle" }}
          resizeConfig={{ enabled: wide, handles: ["se"] }}
          onDragStop={(layout) => save(layout)}
          onResizeStop={(layout) => save(layout)}
        >
          {frames.map(({ tile, title, name, body, actions }) => (
            <article key={tileKey(tile)} className="tile" aria-label={name} data-tile-id={tile.id}>
              <header className="tile-header">
                <span className="tile-handle" title="Drag to move" aria-hidden="true">
                  ⠿
                </span>
                {title}
                <div className="tile-actions">
                  {actions}
                  <button type="button" className="icon" aria-label={`Move ${name} up`} onClick={() => move(tile, -1)}>
                    ↑
                  </button>
                  <button type="button" className="icon" aria-label={`Move ${name} down`} onClick={() => move(tile, 1)}>
                    ↓
                  </button>
                  <button
                    type="button"
                    className="icon"
                    aria-label={`Remove ${name} from the dashboard`}
                    title="Remove from the dashboard"
                    onClick={() => onRemove(tile)}
                  >
                    ×
                  </button>
                </div>
              </header>
              <div className="tile-body">{body}</div>
            </article>
          ))}
        </Responsive>
      )}
    </div>
  );
}

/**
 * True two frames after the grid is first shown: from then on tiles glide when they move
 * (dragged, resized, moved by a button); before, the library's switch from its first
 * placement to its own positioning would slide every tile in from the corner.
 */
function usePlaced(mounted: boolean): boolean {
  const [placed, setPlaced] = useState(false);
  useEffect(() => {
    if (!mounted || placed) return;
    let frame = requestAnimationFrame(() => {
      frame = requestAnimationFrame(() => setPlaced(true));
    });
    return () => cancelAnimationFrame(frame);
  }, [mounted, placed]);
  return placed;
}
