import { useQueryClient } from "@tanstack/react-query";
import { Fragment, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";

import { useEventNames } from "../../components/suggestions";
import { ApiError } from "../../lib/api";
import { ActionPreview } from "./ActionPreview";
import { actionsKey, deleteAction, saveAction, usePreview } from "./actionsApi";
import { locateError, type FormError } from "./errors";
import { StepCard } from "./StepCard";
import { actionBody, newStep, unchanged, type Action, type ActionDraft, type ActionStep } from "./steps";

interface Props {
  projectId: number;
  /** The saved action, or null for a new one. */
  action: Action | null;
  initial: ActionDraft;
  /** Just created (the address moved from /actions/new to /actions/<id>): say it was saved. */
  justSaved?: boolean;
}

function asFormError(error: unknown): FormError {
  if (error instanceof ApiError) return locateError(error.message);
  return { step: null, field: null, message: error instanceof Error ? error.message : String(error) };
}

/** The editor: name, description, match groups (ORed), the live preview, Save and Delete. */
export function ActionForm({ projectId, action, initial, justSaved = false }: Props) {
  const [draft, setDraft] = useState(initial);
  const [saveError, setSaveError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(justSaved);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const eventNames = useEventNames(projectId);
  const preview = usePreview(projectId, draft.steps);
  const previewError = preview.error && !preview.pending ? asFormError(preview.error) : null;
  const error = saveError ?? (previewError && previewError.step !== null ? previewError : null);
  const isUnchanged = action !== null && unchanged(draft, action);

  function update(part: Partial<ActionDraft>) {
    setDraft((current) => ({ ...current, ...part }));
    setSaveError(null);
    setSaved(false);
  }

  function setStep(index: number, step: ActionStep | null) {
    update({ steps: draft.steps.flatMap((s, i) => (i !== index ? [s] : step ? [step] : [])) });
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      const answer = await saveAction(projectId, action?.id ?? null, actionBody(draft));
      queryClient.setQueryData([...actionsKey(projectId), String(answer.id)], answer);
      await queryClient.invalidateQueries({ queryKey: actionsKey(projectId), exact: true });
      setSaved(true);
      if (action === null) void navigate(`/actions/${answer.id}`, { replace: true, state: { saved: true } });
    } catch (caught) {
      setSaveError(asFormError(caught));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!action) return;
    setBusy(true);
    try {
      await deleteAction(projectId, action.id);
      queryClient.removeQueries({ queryKey: [...actionsKey(projectId), String(action.id)] });
      await queryClient.invalidateQueries({ queryKey: actionsKey(projectId), exact: true });
      void navigate("/actions");
    } catch (caught) {
      setSaveError(asFormError(caught));
      setBusy(false);
    }
  }

  const formError = error && error.step === null && error.field === null ? error.message : null;
  const nameError = error?.field === "name" ? error.message : null;

  return (
    <div className="action-editor">
      <form className="action-form" onSubmit={save} aria-label="Action">
        <div className="field">
          <label htmlFor="action-name">Name</label>
          <input
            id="action-name"
            value={draft.name}
            placeholder="Purchased a plan"
            required
            aria-invalid={nameError ? true : undefined}
            onChange={(e) => update({ name: e.target.value })}
          />
          {nameError && (
            <p className="error field-error" role="alert">
              {nameError}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="action-description">Description</label>
          <textarea
            id="action-description"
            rows={2}
            value={draft.description}
            placeholder="What this action means, for whoever reads it next"
            onChange={(e) => update({ description: e.target.value })}
          />
        </div>
        <h2>Match groups</h2>
        <p className="muted">An event that matches any of these groups is part of the action.</p>
        <div className="match-groups">
          {draft.steps.map((step, index) => (
            <Fragment key={index}>
              {index > 0 && (
                <p className="or" aria-hidden="true">
                  OR
                </p>
              )}
              <StepCard
                projectId={projectId}
                index={index}
                step={step}
                eventNames={eventNames}
                error={error?.step === index ? error : null}
                onChange={(next) => setStep(index, next)}
                onRemove={draft.steps.length > 1 ? () => setStep(index, null) : null}
              />
            </Fragment>
          ))}
        </div>
        <button type="button" className="secondary" onClick={() => update({ steps: [...draft.steps, newStep()] })}>
          Add match group
        </button>
        {formError && (
          <p className="error" role="alert">
            {formError}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" disabled={busy || isUnchanged}>
            {busy ? "Saving…" : isUnchanged ? "No changes" : "Save"}
          </button>
          <Link to="/actions">Back to Actions</Link>
          {saved && isUnchanged && (
            <span role="status" className="saved">
              Saved
            </span>
          )}
          {action && !confirmDelete && (
            <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          )}
        </div>
        {action && confirmDelete && (
          <div className="confirm" role="alertdialog" aria-labelledby="confirm-delete">
            <p id="confirm-delete">
              Delete the action “{action.name}”? Queries that name it will stop working.
            </p>
            <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
              Delete action
            </button>
            <button type="button" className="secondary" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </div>
        )}
      </form>
      <ActionPreview
        preview={preview.data}
        pending={preview.pending}
        invalid={previewError !== null && previewError.step !== null}
        problem={previewError && previewError.step === null ? previewError.message : null}
        empty={draft.steps.length === 0}
      />
    </div>
  );
}
