import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";

import { ActorsModal } from "../../insights/ActorsModal";
import { NO_DASHBOARD_FILTERS, type DashboardFilters } from "../../insights/dashboardFilters";
import type { InsightQuery } from "../../insights/types";
import { ApiError } from "../../lib/api";
import {
  changeDashboard,
  dashboardKey,
  dashboardsKey,
  useDashboard,
  type Dashboard,
  type DashboardChange,
  type Tile,
} from "../dashboards/dashboardsApi";
import { changeInsight, insightsKey, type Insight } from "../insights-list/insightsApi";
import { insightName } from "../insights-list/insightsList";
import { useProject } from "../shell/project";
import { AddInsight } from "./AddInsight";
import { DashboardFiltersBar } from "./DashboardFiltersBar";
import { DashboardGrid, type TileFrame } from "./DashboardGrid";
import { DashboardTitle } from "./DashboardTitle";
import { InsightTileBody, InsightTileTitle } from "./InsightTile";
import { changedLayouts, type GridItem } from "./layout";
import { RefreshStatus } from "./RefreshStatus";
import { TextCardBody, TextCardEditor } from "./TextCard";
import { oldestRefresh, useTileResults } from "./tileResults";
import "./dashboard.css";

type Panel = "insight" | "text" | null;

/** `/dashboard/<id>`: tiles of saved insights and text cards, with filters for all of them. */
export default function DashboardScreen() {
  const { project } = useProject();
  const rawId = useParams().id ?? "";
  const id = Number(rawId);
  const dashboard = useDashboard(project.id, id);

  if (dashboard.error instanceof ApiError && dashboard.error.status === 404) {
    return (
      <section className="dashboard-screen">
        <h1>Dashboard not found</h1>
        <p>
          No dashboard {rawId} in this project. <Link to="/dashboards">All dashboards</Link>
        </p>
      </section>
    );
  }
  if (dashboard.error) {
    return (
      <p role="alert" className="error">
        Could not load the dashboard: {dashboard.error.message}
      </p>
    );
  }
  if (!dashboard.data) return <p className="loading">Loading dashboard…</p>;
  return <DashboardView projectId={project.id} dashboard={dashboard.data} />;
}

function DashboardView({ projectId, dashboard }: { projectId: number; dashboard: Dashboard }) {
  const queryClient = useQueryClient();
  const [panel, setPanel] = useState<Panel>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actors, setActors] = useState<object | null>(null);
  const filters: DashboardFilters = { ...NO_DASHBOARD_FILTERS, ...dashboard.filters };
  const { byTile, refreshAll, progress } = useTileResults(projectId, dashboard.tiles, filters);
  const key = dashboardKey(projectId, dashboard.id);

  /** Show `optimistic` at once, save `change`, then show what the server kept. */
  async function save(change: DashboardChange, optimistic?: Partial<Dashboard>): Promise<void> {
    setError(null);
    if (optimistic) queryClient.setQueryData<Dashboard>(key, (old) => old && { ...old, ...optimistic });
    try {
      queryClient.setQueryData(key, await changeDashboard(projectId, dashboard.id, change));
      void queryClient.invalidateQueries({ queryKey: dashboardsKey(projectId), exact: false, refetchType: "none" });
    } catch (failure) {
      setError(`Could not save the change: ${(failure as Error).message}`);
      await queryClient.invalidateQueries({ queryKey: key });
      throw failure;
    }
  }

  function saveLayout(layout: GridItem[]) {
    const tiles = changedLayouts(dashboard.tiles, layout);
    if (tiles.length === 0) return;
    const moved = new Map(tiles.map((t) => [t.id, t.layouts]));
    const optimistic = dashboard.tiles.map((tile) => ({ ...tile, layouts: moved.get(tile.id) ?? tile.layouts }));
    void save({ tiles }, { tiles: optimistic }).catch(() => undefined);
  }

  async function addInsight(insight: Insight) {
    await changeInsight(projectId, insight.id, { dashboards: [...insight.dashboards, dashboard.id] });
    await queryClient.invalidateQueries({ queryKey: insightsKey(projectId) });
    await queryClient.invalidateQueries({ queryKey: key });
  }

  function remove(tile: Tile) {
    const tiles = dashboard.tiles.filter((t) => t.id !== tile.id);
    void save({ tiles: [{ id: tile.id, deleted: true }] }, { tiles }).catch(() => undefined);
  }

  const frames: TileFrame[] = dashboard.tiles.map((tile) => {
    if (tile.insight) {
      return {
        tile,
        name: insightName(tile.insight),
        title: <InsightTileTitle insight={tile.insight} />,
        body: (
          <InsightTileBody
            query={(byTile.get(tile.id)?.query ?? tile.insight.query) as InsightQuery}
            result={byTile.get(tile.id)?.result}
            onPointClick={setActors}
          />
        ),
      };
    }
    const body = tile.text?.body ?? "";
    return {
      tile,
      name: `Text card ${body.slice(0, 40)}`,
      title: <h2 className="tile-title visually-hidden">Text card</h2>,
      actions: (
        <button type="button" className="icon" aria-label="Edit text card" title="Edit" onClick={() => setEditing(tile.id)}>
          ✎
        </button>
      ),
      body:
        editing === tile.id ? (
          <TextCardEditor
            initial={body}
            label="Text"
            onCancel={() => setEditing(null)}
            onSave={async (text) => {
              await save({ tiles: [{ id: tile.id, text: { body: text } }] });
              setEditing(null);
            }}
          />
        ) : (
          <TextCardBody body={body} />
        ),
    };
  });

  return (
    <section className="dashboard-screen" aria-labelledby="dashboard-title">
      <p className="breadcrumb">
        <Link to="/dashboards">Dashboards</Link>
      </p>
      <header className="screen-header">
        <DashboardTitle dashboard={dashboard} onRename={(change) => save(change, change)} />
        <div className="dashboard-actions">
          <RefreshStatus
            lastRefresh={oldestRefresh([...byTile.values()].map((tile) => tile.result?.data))}
            progress={progress}
            onRefresh={() => void refreshAll()}
            tileCount={byTile.size}
          />
          <button type="button" className="secondary" onClick={() => setPanel(panel === "insight" ? null : "insight")}>
            Add insight
          </button>
          <button type="button" className="secondary" onClick={() => setPanel(panel === "text" ? null : "text")}>
            Add text card
          </button>
        </div>
      </header>
      {panel === "insight" && (
        <AddInsight projectId={projectId} dashboardId={dashboard.id} onAdd={addInsight} onClose={() => setPanel(null)} />
      )}
      {panel === "text" && (
        <div className="dashboard-panel">
          <TextCardEditor
            initial=""
            label="New text card"
            onCancel={() => setPanel(null)}
            onSave={async (text) => {
              await save({ tiles: [{ text: { body: text } }] });
              setPanel(null);
            }}
          />
        </div>
      )}
      <DashboardFiltersBar
        key={JSON.stringify(dashboard.filters)}
        projectId={projectId}
        filters={filters}
        onApply={(next) => void save({ filters: next }, { filters: next }).catch(() => undefined)}
      />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {dashboard.tiles.length === 0 ? (
        <div className="empty-state">
          <h2>This dashboard has no tiles yet</h2>
          <p>Add a saved insight or a text card; drag tiles by their handle to arrange them.</p>
        </div>
      ) : (
        <DashboardGrid frames={frames} onLayout={saveLayout} onRemove={remove} />
      )}
      {actors && <ActorsModal projectId={projectId} actorsSource={actors} onClose={() => setActors(null)} />}
    </section>
  );
}
