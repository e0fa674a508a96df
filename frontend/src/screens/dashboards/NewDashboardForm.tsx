import { useState, type FormEvent } from "react";

import { ApiError } from "../../lib/api";
import { createDashboard, type Dashboard, type DashboardTemplate } from "./dashboardsApi";

interface Props {
  projectId: number;
  onCreated: (dashboard: Dashboard) => void;
  onCancel: () => void;
}

const TEMPLATES: [DashboardTemplate, string, string][] = [
  [null, "Blank", "No tiles: pin insights and add text cards yourself."],
  [
    "product-analytics",
    "Product analytics",
    "Unique users, page views, top events, a sign-up funnel, weekly retention and growth accounting.",
  ],
];

/** Name, description and a start (blank or a template); creating opens the new dashboard. */
export function NewDashboardForm({ projectId, onCreated, onCancel }: Props) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [template, setTemplate] = useState<DashboardTemplate>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await createDashboard(projectId, { name: name.trim(), description: description.trim(), template }));
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <form className="new-dashboard" aria-labelledby="new-dashboard-title" onSubmit={(e) => void create(e)}>
      <h2 id="new-dashboard-title">New dashboard</h2>
      <label className="field">
        <span>Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
      </label>
      <label className="field">
        <span>Description</span>
        <input value={description} onChange={(e) => setDescription(e.target.value)} placeholder="Optional" />
      </label>
      <fieldset className="templates">
        <legend>Start from</legend>
        {TEMPLATES.map(([value, label, hint]) => (
          <label key={label} className={template === value ? "template selected" : "template"}>
            <input
              type="radio"
              name="template"
              checked={template === value}
              onChange={() => setTemplate(value)}
            />
            <span className="template-name">{label}</span>
            <span className="hint">{hint}</span>
          </label>
        ))}
      </fieldset>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="form-line">
        <button type="submit" disabled={busy || !name.trim()}>
          {busy ? "Creating…" : "Create dashboard"}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
