import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";

import { ConfirmDelete } from "../../components/ConfirmDelete";
import { exactTime, relativeTime } from "../../lib/time";
import { useNow } from "../../lib/useNow";
import { useUrlSearch } from "../../lib/useUrlSearch";
import { useProject } from "../shell/project";
import {
  changeDashboard,
  dashboardsKey,
  deleteDashboard,
  useDashboardList,
  type DashboardSummary,
} from "./dashboardsApi";
import { dashboardName, emptyDashboardsText, pinnedFirst, tileCountText } from "./dashboardsList";
import { NewDashboardForm } from "./NewDashboardForm";
import "./dashboards.css";

/** `/dashboards`: the project's dashboards, pinned first; the search is in `?search=`. */
export default function DashboardsScreen() {
  const { project } = useProject();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { draft, setDraft, search, submit } = useUrlSearch();
  const list = useDashboardList(project.id, search);
  const now = useNow(30_000);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<DashboardSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const dashboards = pinnedFirst(list.data?.results ?? []);

  async function togglePin(dashboard: DashboardSummary) {
    setError(null);
    try {
      await changeDashboard(project.id, dashboard.id, { pinned: !dashboard.pinned });
    } catch (failure) {
      setError(`Could not change the pin: ${(failure as Error).message}`);
    }
    await queryClient.invalidateQueries({ queryKey: dashboardsKey(project.id) });
  }

  async function remove(dashboard: DashboardSummary) {
    await deleteDashboard(project.id, dashboard.id);
    setDeleting(null);
    await queryClient.invalidateQueries({ queryKey: dashboardsKey(project.id) });
  }

  return (
    <section className="dashboards-screen" aria-labelledby="dashboards-title">
      <header className="screen-header">
        <h1 id="dashboards-title">Dashboards</h1>
        {!creating && (
          <button type="button" onClick={() => setCreating(true)}>
            New dashboard
          </button>
        )}
      </header>
      <p className="intro">Saved insights and notes side by side, with one date range and filter for all.</p>
      {creating && (
        <NewDashboardForm
          projectId={project.id}
          onCancel={() => setCreating(false)}
          onCreated={(dashboard) => {
            void queryClient.invalidateQueries({ queryKey: dashboardsKey(project.id) });
            void navigate(`/dashboard/${dashboard.id}`);
          }}
        />
      )}
      <form
        role="search"
        className="list-search"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <label className="field inline">
          <span>Search</span>
          <input
            type="search"
            aria-label="Search dashboards"
            placeholder="Name or description"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
        </label>
      </form>
      {(list.error || error) && (
        <p role="alert" className="error">
          {list.error ? `Could not load dashboards: ${list.error.message}` : error}
        </p>
      )}
      {deleting && (
        <ConfirmDelete
          question={`Delete the dashboard “${dashboardName(deleting)}”?`}
          consequence="Its text cards go with it; its insights stay saved."
          confirmLabel="Delete dashboard"
          onConfirm={() => remove(deleting)}
          onCancel={() => setDeleting(null)}
        />
      )}
      {list.isPending ? (
        <p className="loading">Loading dashboards…</p>
      ) : dashboards.length === 0 && !search ? (
        <div className="empty-state">
          <h2>No dashboards yet</h2>
          <p>Start one blank or from the “Product analytics” template, then pin saved insights to it.</p>
        </div>
      ) : dashboards.length === 0 ? (
        <p className="empty-list" role="status">
          {emptyDashboardsText(search)}
        </p>
      ) : (
        <table className="data-table dashboards-table">
          <colgroup>
            <col className="col-pin" />
            <col className="col-name" />
            <col className="col-description" />
            <col className="col-tiles" />
            <col className="col-modified" />
            <col className="col-actions" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Pinned</span>
              </th>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Tiles</th>
              <th scope="col">Last modified</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {dashboards.map((dashboard) => {
              const name = dashboardName(dashboard);
              return (
                <tr key={dashboard.id}>
                  <td>
                    <button
                      type="button"
                      className={dashboard.pinned ? "pin on" : "pin"}
                      aria-pressed={dashboard.pinned}
                      aria-label={`Pin ${name}`}
                      title={dashboard.pinned ? "Unpin (pinned dashboards come first)" : "Pin to the top"}
                      onClick={() => void togglePin(dashboard)}
                    >
                      {dashboard.pinned ? "Pinned" : "Pin"}
                    </button>
                  </td>
                  <td title={name}>
                    <Link to={`/dashboard/${dashboard.id}`}>{name}</Link>
                  </td>
                  <td title={dashboard.description}>
                    {dashboard.description || <span className="none">—</span>}
                  </td>
                  <td>{tileCountText(dashboard.tile_count)}</td>
                  <td>
                    <time dateTime={dashboard.last_modified_at} title={exactTime(dashboard.last_modified_at)}>
                      {relativeTime(dashboard.last_modified_at, now)}
                    </time>
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Delete ${name}`}
                      onClick={() => setDeleting(dashboard)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
