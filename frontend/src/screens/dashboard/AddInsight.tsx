import { useState, type FormEvent } from "react";

import { useInsightList, type Insight } from "../insights-list/insightsApi";
import { insightName } from "../insights-list/insightsList";

interface Props {
  projectId: number;
  dashboardId: number;
  onAdd: (insight: Insight) => Promise<void>;
  onClose: () => void;
}

/** Pin a saved insight (not on this dashboard yet) as a new tile. */
export function AddInsight({ projectId, dashboardId, onAdd, onClose }: Props) {
  const list = useInsightList(projectId, "");
  const [chosen, setChosen] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const candidates = (list.data?.results ?? []).filter((insight) => !insight.dashboards.includes(dashboardId));

  async function add(event: FormEvent) {
    event.preventDefault();
    const insight = candidates.find((i) => String(i.id) === chosen);
    if (!insight) return;
    setBusy(true);
    setError(null);
    try {
      await onAdd(insight);
      onClose();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <form className="dashboard-panel" aria-label="Add an insight" onSubmit={(e) => void add(e)}>
      {list.isPending ? (
        <p className="loading">Loading saved insights…</p>
      ) : candidates.length === 0 ? (
        <p className="muted">Every saved insight is on this dashboard already: save a new one first.</p>
      ) : (
        <label className="field inline">
          <span>Saved insight</span>
          <select value={chosen} onChange={(e) => setChosen(e.target.value)} required autoFocus>
            <option value="">Choose an insight…</option>
            {candidates.map((insight) => (
              <option key={insight.id} value={insight.id}>
                {insightName(insight)}
              </option>
            ))}
          </select>
        </label>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="form-line">
        <button type="submit" disabled={busy || !chosen}>
          Add to dashboard
        </button>
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
