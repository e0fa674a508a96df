import { CopyButton } from "../../components/CopyButton";

/** A key just made: its value, this once, with a copy button and a plain warning. */
export function NewKeyReveal(props: { label: string; value: string; onDone: () => void }) {
  return (
    <div className="key-reveal" role="region" aria-labelledby="new-key-title">
      <h3 id="new-key-title">Your new key “{props.label}”</h3>
      <p>
        <strong>Copy it now: you will not see it again.</strong> Only its SHA-256 hash is
        kept; if you lose it, revoke it and make another.
      </p>
      <p className="key-value">
        <code aria-label="New personal API key">{props.value}</code>{" "}
        <CopyButton text={props.value} label="Copy the new key" />
      </p>
      <button type="button" className="secondary" onClick={props.onDone}>
        I have copied it
      </button>
    </div>
  );
}
