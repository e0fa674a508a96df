// Paths: which events make the path, start and end points, step limit, minimum edge weight
// and cleaning rules (a regex and its alias).

import type { PathCleaningFilter, PathEventType, PathsQuery } from "../../insights/types";
import { NumberInput } from "./CommonControls";

const EVENT_TYPES: { type: PathEventType; label: string }[] = [
  { type: "$pageview", label: "Page views" },
  { type: "$screen", label: "Screen views" },
  { type: "custom_event", label: "Custom events" },
];

export function PathsControls({ query, onChange }: { query: PathsQuery; onChange: (q: PathsQuery) => void }) {
  const filter = query.pathsFilter ?? {};
  const set = (part: Partial<NonNullable<PathsQuery["pathsFilter"]>>) => onChange({ ...query, pathsFilter: { ...filter, ...part } });
  const types = filter.includeEventTypes ?? ["$pageview"];
  const rules = filter.localPathCleaningFilters ?? [];
  const setRules = (next: PathCleaningFilter[]) => set({ localPathCleaningFilters: next.length ? next : undefined });
  return (
    <>
      <fieldset className="insight-fieldset">
        <legend>Path of</legend>
        <div className="control-group">
          {EVENT_TYPES.map(({ type, label }) => (
            <label key={type} className="checkbox">
              <input
                type="checkbox"
                checked={types.includes(type)}
                onChange={(e) => {
                  const next = e.target.checked ? [...types, type] : types.filter((t) => t !== type);
                  if (next.length) set({ includeEventTypes: next });
                }}
              />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="control-group">
        <label>
          Start point
          <input placeholder="any" value={filter.startPoint ?? ""} onChange={(e) => set({ startPoint: e.target.value || undefined })} />
        </label>
        <label>
          End point
          <input placeholder="any" value={filter.endPoint ?? ""} onChange={(e) => set({ endPoint: e.target.value || undefined })} />
        </label>
        <NumberInput label="Steps" min={2} max={20} value={filter.stepLimit ?? 5} onChange={(n) => set({ stepLimit: n ?? 5 })} />
        <NumberInput label="Minimum persons per move" min={1} value={filter.minEdgeWeight} onChange={(n) => set({ minEdgeWeight: n })} />
      </div>
      <fieldset className="insight-fieldset">
        <legend>Path cleaning rules</legend>
        {rules.length > 0 && (
          <ol className="rule-list">
            {rules.map((rule, i) => (
              <li key={i} className="control-group">
                <label>
                  Rule {i + 1} regex
                  <input
                    className="mono"
                    value={rule.regex}
                    onChange={(e) => setRules(rules.map((r, j) => (j === i ? { ...r, regex: e.target.value } : r)))}
                  />
                </label>
                <label>
                  Rule {i + 1} alias
                  <input value={rule.alias} onChange={(e) => setRules(rules.map((r, j) => (j === i ? { ...r, alias: e.target.value } : r)))} />
                </label>
                <button type="button" className="secondary" aria-label={`Remove rule ${i + 1}`} onClick={() => setRules(rules.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </li>
            ))}
          </ol>
        )}
        <button type="button" className="secondary" onClick={() => setRules([...rules, { regex: "/\\d+", alias: "/:id" }])}>
          Add rule
        </button>
      </fieldset>
    </>
  );
}
