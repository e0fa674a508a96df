import { useId } from "react";

import { PropertyFilterRow } from "../../components/PropertyFilterRow";
import type { PropertyFilter } from "../../lib/types";
import type { FormError } from "./errors";
import { MatchingField } from "./MatchingField";
import { stepKind, withKind, type ActionStep, type Matching, type StepKind } from "./steps";

const KINDS: [StepKind, string][] = [
  ["pageview", "Pageview"],
  ["autocapture", "Autocapture"],
  ["other", "Other events"],
];

interface Props {
  projectId: number;
  index: number;
  step: ActionStep;
  eventNames: string[];
  error: FormError | null;
  onChange: (step: ActionStep) => void;
  onRemove: (() => void) | null;
}

function PlainField(props: {
  label: string;
  value: string | null | undefined;
  placeholder?: string;
  list?: string;
  hint?: string;
  error?: string | null;
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className="step-field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        value={props.value ?? ""}
        placeholder={props.placeholder}
        list={props.list}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={`${id}-note`}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.error ? (
        <p id={`${id}-note`} className="error field-error" role="alert">
          {props.error}
        </p>
      ) : (
        <p id={`${id}-note`} className="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

const And = () => (
  <span className="and" aria-hidden="true">
    AND
  </span>
);

/** One match group: its kind (Pageview | Autocapture | Other events), conditions, filters. */
export function StepCard({ projectId, index, step, eventNames, error, onChange, onRemove }: Props) {
  const n = index + 1;
  const kind = stepKind(step);
  const eventsId = useId();
  const filters: PropertyFilter[] = Array.isArray(step.properties) ? step.properties : [];
  const fieldError = (field: string) => (error?.field === field ? error.message : null);
  const set = (part: Partial<ActionStep>) => onChange({ ...step, ...part });
  const matched = (field: "text" | "href" | "url") => (value: string, matching: Matching) =>
    set({ [field]: value, [`${field}_matching`]: matching });
  const setFilter = (i: number, filter: PropertyFilter | null) =>
    set({ properties: filters.flatMap((f, j) => (j !== i ? [f] : filter ? [filter] : [])) });

  return (
    <fieldset className="step-card">
      <legend>Match group #{n}</legend>
      <div className="step-head">
        <div className="segmented" role="radiogroup" aria-label={`Match group ${n} kind`}>
          {KINDS.map(([value, label]) => (
            <label key={value} className={kind === value ? "selected" : undefined}>
              <input
                type="radio"
                name={`step-${n}-kind`}
                checked={kind === value}
                onChange={() => onChange(withKind(step, value))}
              />
              {label}
            </label>
          ))}
        </div>
        {onRemove && (
          <button
            type="button"
            className="secondary"
            onClick={onRemove}
            aria-label={`Remove match group ${n}`}
          >
            Remove
          </button>
        )}
      </div>
      {error && error.field === null && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      {kind === "pageview" && (
        <MatchingField
          label="URL"
          kind="url"
          value={step.url ?? ""}
          matching={step.url_matching}
          placeholder="https://shop.example/pricing"
          error={fieldError("url")}
          onChange={matched("url")}
        />
      )}
      {kind === "autocapture" && (
        <>
          <MatchingField
            label="Element text"
            kind="text"
            value={step.text ?? ""}
            matching={step.text_matching}
            placeholder="Purchase"
            error={fieldError("text")}
            onChange={matched("text")}
          />
          <And />
          <MatchingField
            label="Element link target"
            kind="href"
            value={step.href ?? ""}
            matching={step.href_matching}
            placeholder="/pricing"
            error={fieldError("href")}
            onChange={matched("href")}
          />
          {step.tag_name !== undefined && step.tag_name !== null && (
            <>
              <And />
              <PlainField
                label="Element tag"
                value={step.tag_name}
                placeholder="button"
                hint="The clicked element's tag (kept for old actions; a selector says more)."
                error={fieldError("tag_name")}
                onChange={(tag_name) => set({ tag_name })}
              />
            </>
          )}
          <And />
          <PlainField
            label="Element matches HTML selector"
            value={step.selector}
            placeholder='button[data-attr="signup"]'
            hint={'Tag, #id, .class, [attr] or [attr="value"], joined by spaces or ">".'}
            error={fieldError("selector")}
            onChange={(selector) => set({ selector })}
          />
          <And />
          <MatchingField
            label="Page URL"
            kind="url"
            value={step.url ?? ""}
            matching={step.url_matching}
            placeholder="https://shop.example/checkout"
            error={fieldError("url")}
            onChange={matched("url")}
          />
        </>
      )}
      {kind === "other" && (
        <>
          <PlainField
            label="Event"
            value={step.event}
            placeholder="All events"
            list={eventsId}
            hint="An event name sent to this project; leave empty for all events."
            error={fieldError("event")}
            onChange={(event) => set({ event: event === "" ? null : event })}
          />
          <datalist id={eventsId}>
            {eventNames
              .filter((name) => name !== "$pageview" && name !== "$autocapture")
              .map((name) => (
                <option key={name} value={name} />
              ))}
          </datalist>
        </>
      )}
      <div className="step-filters">
        <h3 className="filters-title">Filters</h3>
        {!Array.isArray(step.properties) && step.properties ? (
          <p className="muted">This step has a filter group the editor cannot show; it is kept.</p>
        ) : (
          filters.length > 0 && (
            <ul className="filter-rows" aria-label={`Match group ${n} filters`}>
              {filters.map((filter, i) => (
                <PropertyFilterRow
                  key={i}
                  projectId={projectId}
                  index={i}
                  filter={filter}
                  label={`Match group ${n} filter`}
                  onChange={(next) => setFilter(i, next)}
                  onRemove={() => setFilter(i, null)}
                />
              ))}
            </ul>
          )
        )}
        {fieldError("properties") && (
          <p className="error" role="alert">
            {fieldError("properties")}
          </p>
        )}
        {(Array.isArray(step.properties) || !step.properties) && (
          <button
            type="button"
            className="secondary small"
            onClick={() =>
              set({ properties: [...filters, { key: "", operator: "exact", type: "event", value: "" }] })
            }
          >
            Add filter
          </button>
        )}
      </div>
    </fieldset>
  );
}
