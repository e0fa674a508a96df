import { useState, type FormEvent } from "react";

import type { Dashboard } from "../dashboards/dashboardsApi";
import { dashboardName } from "../dashboards/dashboardsList";

interface Props {
  dashboard: Dashboard;
  onRename: (change: { name: string; description: string }) => Promise<void>;
}

/** The dashboard's name and description, and "Rename" to change both in place. */
export function DashboardTitle({ dashboard, onRename }: Props) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(dashboard.name);
  const [description, setDescription] = useState(dashboard.description);
  const [error, setError] = useState<string | null>(null);

  async function save(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await onRename({ name: name.trim(), description: description.trim() });
      setEditing(false);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  }

  if (!editing) {
    return (
      <div className="dashboard-title">
        <h1 id="dashboard-title">{dashboardName(dashboard)}</h1>
        <button
          type="button"
          className="secondary small"
          onClick={() => {
            setName(dashboard.name);
            setDescription(dashboard.description);
            setEditing(true);
          }}
        >
          Rename
        </button>
        {dashboard.description && <p className="intro">{dashboard.description}</p>}
      </div>
    );
  }
  return (
    <form className="dashboard-title editing" onSubmit={(e) => void save(e)} aria-labelledby="dashboard-title">
      <h1 id="dashboard-title" className="visually-hidden">
        {dashboardName(dashboard)}
      </h1>
      <label className="field inline">
        <span>Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
      </label>
      <label className="field inline">
        <span>Description</span>
        <input value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <button type="submit" disabled={!name.trim()}>
        Save
      </button>
      <button type="button" className="secondary" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </form>
  );
}
