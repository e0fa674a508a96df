// Name, description and what can be done with the insight: save (new), save changes,
// duplicate, delete (after a confirmation), add to a dashboard.

import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";

import type { InsightQuery } from "../../insights/types";
import {
  createInsight,
  deleteInsight,
  savedInsightKey,
  updateInsight,
  useDashboards,
  type SavedInsight,
} from "./insightsApi";

interface Props {
  projectId: number;
  saved: SavedInsight | null;
  query: InsightQuery;
  /** Whether the query differs from the saved one. */
  edited: boolean;
}

export function SaveBar({ projectId, saved, query, edited }: Props) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [name, setName] = useState(saved?.name ?? "");
  const [description, setDescription] = useState(saved?.description ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const changed = saved !== null && (edited || name !== saved.name || description !== saved.description);

  async function act(work: () => Promise<void>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await work();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  }

  const open = (insight: SavedInsight) => {
    client.setQueryData(savedInsightKey(projectId, insight.short_id), insight);
    void navigate(`/insights/${insight.short_id}`);
  };

  return (
    <section className="save-bar" aria-label="Save">
      <div className="control-group">
        <label>
          Insight name
          <input value={name} placeholder="Untitled insight" onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="grow">
          Insight description
          <input value={description} placeholder="optional" onChange={(e) => setDescription(e.target.value)} />
        </label>
      </div>
      <div className="control-group">
        {saved === null ? (
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void act(async () => open(await createInsight(projectId, { name: name.trim() || "Untitled insight", description, query })))
            }
          >
            Save
          </button>
        ) : (
          <>
            <button
              type="button"
              disabled={busy || !changed}
              onClick={() =>
                void act(async () => {
                  const next = await updateInsight(projectId, saved.id, { name: name.trim() || saved.name, description, query });
                  open(next);
                  setNotice("Saved.");
                })
              }
            >
              Save changes
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() =>
                void act(async () =>
                  open(await createInsight(projectId, { name: `${name || saved.name} (copy)`, description, query })),
                )
              }
            >
              Duplicate
            </button>
            <AddToDashboard projectId={projectId} saved={saved} onDone={(text) => setNotice(text)} act={act} />
            {confirmDelete ? (
              <span role="group" aria-label="Confirm deletion" className="confirm">
                Delete “{saved.name}”?
                <button
                  type="button"
                  className="danger"
                  disabled={busy}
                  onClick={() =>
                    void act(async () => {
                      await deleteInsight(projectId, saved.id);
                      client.removeQueries({ queryKey: savedInsightKey(projectId, saved.short_id) });
                      void navigate("/insights");
                    })
                  }
                >
                  Yes, delete
                </button>
                <button type="button" className="secondary" onClick={() => setConfirmDelete(false)}>
                  Cancel
                </button>
              </span>
            ) : (
              <button type="button" className="secondary" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            )}
          </>
        )}
      </div>
      {notice && (
        <p role="status" className="muted">
          {notice}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}

function AddToDashboard({
  projectId,
  saved,
  onDone,
  act,
}: {
  projectId: number;
  saved: SavedInsight;
  onDone: (text: string) => void;
  act: (work: () => Promise<void>) => Promise<void>;
}) {
  const client = useQueryClient();
  const dashboards = useDashboards(projectId, true).data?.results ?? [];
  const choices = dashboards.filter((d) => !saved.dashboards.includes(d.id));
  const [chosen, setChosen] = useState<number | null>(null);
  const target = chosen ?? choices[0]?.id ?? null;
  if (dashboards.length === 0) return null;
  return (
    <span className="control-group" role="group" aria-label="Add to dashboard">
      <select
        aria-label="Dashboard to add to"
        value={target ?? ""}
        onChange={(e) => setChosen(Number(e.target.value))}
        disabled={choices.length === 0}
      >
        {choices.length === 0 && <option value="">On every dashboard</option>}
        {choices.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="secondary"
        disabled={target === null}
        onClick={() =>
          void act(async () => {
            if (target === null) return;
            const next = await updateInsight(projectId, saved.id, { dashboards: [...saved.dashboards, target] });
            client.setQueryData(savedInsightKey(projectId, saved.short_id), next);
            setChosen(null);
            onDone(`Added to ${dashboards.find((d) => d.id === target)?.name ?? "the dashboard"}.`);
          })
        }
      >
        Add to dashboard
      </button>
    </span>
  );
}
