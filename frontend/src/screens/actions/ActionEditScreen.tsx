import { useMemo } from "react";
import { Link, useLocation, useParams, useSearchParams } from "react-router";

import { useProject } from "../shell/project";
import { ActionForm } from "./ActionForm";
import { useAction } from "./actionsApi";
import { draftFromParams } from "./prefill";
import { newStep, type ActionDraft } from "./steps";
import "./actions.css";

/** `/actions/new` (filled from "Create action from this event" when the address says so) and
 * `/actions/<id>`: the action editor. */
export default function ActionEditScreen() {
  const { id = null } = useParams();
  const [params] = useSearchParams();
  const location = useLocation();
  const justSaved = (location.state as { saved?: boolean } | null)?.saved === true;
  const { project } = useProject();
  const saved = useAction(project.id, id);
  const search = params.toString();
  const fresh = useMemo<ActionDraft>(
    () =>
      draftFromParams(new URLSearchParams(search)) ?? { name: "", description: "", steps: [newStep()] },
    [search],
  );

  let body;
  if (id !== null && saved.error) {
    body = (
      <p role="alert" className="error">
        {saved.error.message}
      </p>
    );
  } else if (id !== null && !saved.data) {
    body = <p className="loading">Loading…</p>;
  } else {
    const action = saved.data ?? null;
    const initial = action
      ? { name: action.name, description: action.description, steps: action.steps }
      : fresh;
    body = (
      <ActionForm
        key={id ?? `new?${search}`}
        projectId={project.id}
        action={action}
        initial={initial}
        justSaved={justSaved}
      />
    );
  }

  return (
    <section className="action-screen" aria-labelledby="action-title">
      <p className="breadcrumb">
        <Link to="/actions">Actions</Link>
      </p>
      <h1 id="action-title">{id === null ? "New action" : (saved.data?.name ?? "Action")}</h1>
      {body}
    </section>
  );
}
