import { useState } from "react";

interface Props {
  /** The question: "Delete the insight “Page views”?" */
  question: string;
  /** What else goes, or stays: "It is removed from every dashboard it is on." */
  consequence: string;
  /** The confirming button's words: "Delete insight". */
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onCancel: () => void;
}

/** A deletion asked once more, in place (no modal): confirm or cancel; the failure shown. */
export function ConfirmDelete({ question, consequence, confirmLabel, onConfirm, onCancel }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <div className="confirm" role="alertdialog" aria-label={question}>
      <p>
        {question} {consequence}
      </p>
      <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
        {confirmLabel}
      </button>
      {/* Focus lands on the harmless choice: Enter right away cancels. */}
      <button type="button" className="secondary" autoFocus onClick={onCancel}>
        Cancel
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  );
}
