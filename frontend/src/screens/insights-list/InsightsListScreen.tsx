import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import { ConfirmDelete } from "../../components/ConfirmDelete";
import { exactTime, relativeTime } from "../../lib/time";
import { useNow } from "../../lib/useNow";
import { useUrlSearch } from "../../lib/useUrlSearch";
import { useProject } from "../shell/project";
import { changeInsight, deleteInsight, insightPath, insightsKey, useInsightList, type Insight } from "./insightsApi";
import { emptyInsightsText, insightName, insightsCountText, kindLabel, modifiedBy } from "./insightsList";
import "./insights-list.css";

/** `/insights`: the project's saved insights, newest change first; the search is in `?search=`. */
export default function InsightsListScreen() {
  const { project } = useProject();
  const queryClient = useQueryClient();
  const { draft, setDraft, search, submit } = useUrlSearch();
  const list = useInsightList(project.id, search);
  const now = useNow(30_000);
  const [deleting, setDeleting] = useState<Insight | null>(null);
  const [error, setError] = useState<string | null>(null);
  const insights = list.data?.results ?? [];

  async function toggleFavorite(insight: Insight) {
    setError(null);
    try {
      await changeInsight(project.id, insight.id, { favorited: !insight.favorited });
    } catch (failure) {
      setError(`Could not change the star: ${(failure as Error).message}`);
    }
    await queryClient.invalidateQueries({ queryKey: insightsKey(project.id) });
  }

  async function remove(insight: Insight) {
    await deleteInsight(project.id, insight.id);
    setDeleting(null);
    await queryClient.invalidateQueries({ queryKey: insightsKey(project.id) });
  }

  return (
    <section className="insights-list-screen" aria-labelledby="insights-title">
      <header className="screen-header">
        <h1 id="insights-title">Insights</h1>
        <Link className="button" to="/insights/new">
          New insight
        </Link>
      </header>
      <p className="intro">Saved trends, funnels, retention and other insights, newest change first.</p>
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
            aria-label="Search insights"
            placeholder="Name or description"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
        </label>
      </form>
      {(list.error || error) && (
        <p role="alert" className="error">
          {list.error ? `Could not load insights: ${list.error.message}` : error}
        </p>
      )}
      {deleting && (
        <ConfirmDelete
          question={`Delete the insight “${insightName(deleting)}”?`}
          consequence="Its tiles go from every dashboard it is on."
          confirmLabel="Delete insight"
          onConfirm={() => remove(deleting)}
          onCancel={() => setDeleting(null)}
        />
      )}
      {list.isPending ? (
        <p className="loading">Loading insights…</p>
      ) : insights.length === 0 && !search ? (
        <div className="empty-state">
          <h2>No saved insights yet</h2>
          <p>
            Build a trend, funnel, retention or paths insight, then save it to find it here and pin
            it to dashboards.
          </p>
          <Link className="button" to="/insights/new">
            New insight
          </Link>
        </div>
      ) : insights.length === 0 ? (
        <p className="empty-list" role="status">
          {emptyInsightsText(search)}
        </p>
      ) : (
        <>
          <table className="data-table insights-table">
            <colgroup>
              <col className="col-star" />
              <col className="col-name" />
              <col className="col-kind" />
              <col className="col-description" />
              <col className="col-modified" />
              <col className="col-actions" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">Favorite</span>
                </th>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Description</th>
                <th scope="col">Last modified</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {insights.map((insight) => {
                const name = insightName(insight);
                const by = modifiedBy(insight);
                return (
                  <tr key={insight.id}>
                    <td>
                      <button
                        type="button"
                        className={insight.favorited ? "star on" : "star"}
                        aria-pressed={insight.favorited}
                        aria-label={`Favorite ${name}`}
                        title={insight.favorited ? "Remove from favorites" : "Add to favorites"}
                        onClick={() => void toggleFavorite(insight)}
                      >
                        {insight.favorited ? "★" : "☆"}
                      </button>
                    </td>
                    <td title={name}>
                      <Link to={insightPath(insight)}>{name}</Link>
                    </td>
                    <td>{kindLabel(insight.query)}</td>
                    <td title={insight.description}>
                      {insight.description || <span className="none">—</span>}
                    </td>
                    <td title={by ?? undefined}>
                      <time dateTime={insight.last_modified_at} title={exactTime(insight.last_modified_at)}>
                        {relativeTime(insight.last_modified_at, now)}
                      </time>
                      {by && <span className="by"> by {by}</span>}
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Delete ${name}`}
                        onClick={() => setDeleting(insight)}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="list-end" role="status">
            {insightsCountText(insights.length, list.data?.count ?? insights.length)}
          </p>
        </>
      )}
    </section>
  );
}
