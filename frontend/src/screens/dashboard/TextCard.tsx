import { useState, type FormEvent } from "react";

/** The longest text card the server keeps. */
export const TEXT_LIMIT = 4000;

interface EditorProps {
  initial: string;
  label: string;
  onSave: (body: string) => Promise<void>;
  onCancel: () => void;
}

/** A text card's words, typed as plain text (no markup: it is shown as typed). */
export function TextCardEditor({ initial, label, onSave, onCancel }: EditorProps) {
  const [body, setBody] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSave(body);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <form className="text-card-editor" onSubmit={(e) => void save(e)}>
      <label className="field">
        <span>{label}</span>
        <textarea
          value={body}
          maxLength={TEXT_LIMIT}
          rows={4}
          onChange={(e) => setBody(e.target.value)}
          autoFocus
        />
      </label>
      <p className="hint">
        {body.length} / {TEXT_LIMIT} characters, shown as typed.
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="form-line">
        <button type="submit" disabled={busy || !body.trim()}>
          Save text
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The card's text, as text: line breaks kept, nothing in it read as markup. */
export function TextCardBody({ body }: { body: string }) {
  return <p className="text-card-body">{body}</p>;
}
