import { useId } from "react";

import { DEFAULT_MATCHING, MATCHING_LABELS, type Matching } from "./steps";

interface Props {
  label: string;
  value: string;
  matching: Matching | null | undefined;
  /** Which default applies when `matching` is unset: "text"/"href" exact, "url" contains. */
  kind: keyof typeof DEFAULT_MATCHING;
  placeholder?: string;
  error?: string | null;
  onChange: (value: string, matching: Matching) => void;
}

const HINTS: Record<Matching, string> = {
  exact: "The whole value, exactly.",
  contains: "Any part of the value.",
  regex: "RE2 syntax: no look-arounds or back-references.",
};

/** A text condition of a step with its matching picker: exactly, regex or contains. */
export function MatchingField({ label, value, matching, kind, placeholder, error, onChange }: Props) {
  const id = useId();
  const current = matching ?? DEFAULT_MATCHING[kind];
  const hint = kind === "text" && current === "contains" ? "Any part of the text, in any case." : HINTS[current];
  return (
    <div className="step-field">
      <label htmlFor={`${id}-value`}>{label}</label>
      <div className="matching">
        <select
          aria-label={`${label} matching`}
          value={current}
          onChange={(e) => onChange(value, e.target.value as Matching)}
        >
          {(Object.keys(MATCHING_LABELS) as Matching[]).map((m) => (
            <option key={m} value={m}>
              {MATCHING_LABELS[m]}
            </option>
          ))}
        </select>
        <input
          id={`${id}-value`}
          value={value}
          placeholder={placeholder}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : `${id}-hint`}
          onChange={(e) => onChange(e.target.value, current)}
        />
      </div>
      {error ? (
        <p id={`${id}-error`} className="error field-error" role="alert">
          {error}
        </p>
      ) : (
        <p id={`${id}-hint`} className="hint">
          {value ? hint : "Leave empty to match any."}
        </p>
      )}
    </div>
  );
}
