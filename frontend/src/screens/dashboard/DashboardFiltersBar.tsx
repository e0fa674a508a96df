import { useState, type FormEvent } from "react";

import { PropertyFilterRow } from "../../components/PropertyFilterRow";
import type { DashboardFilters } from "../../insights/dashboardFilters";
import type { PropertyFilter } from "../../lib/types";
import { cleanFilters, CUSTOM_RANGE, DASHBOARD_PRESETS, presetOf, rangeOf } from "./dateRange";

interface Props {
  projectId: number;
  filters: DashboardFilters;
  onApply: (filters: DashboardFilters) => void;
}

/**
 * The date range and property filters of every tile. A preset applies at once; a custom
 * range and property filters apply with "Apply filters" (or Enter).
 */
export function DashboardFiltersBar({ projectId, filters, onApply }: Props) {
  const [draft, setDraft] = useState(filters);
  const [choice, setChoice] = useState(() => presetOf(filters));

  function setProperty(index: number, filter: PropertyFilter | null) {
    const properties = draft.properties.flatMap((f, i) => (i !== index ? [f] : filter ? [filter] : []));
    setDraft({ ...draft, properties });
  }

  function apply(event: FormEvent) {
    event.preventDefault();
    onApply(cleanFilters(draft));
  }

  return (
    <form className="filters dashboard-filters" aria-label="Dashboard filters" onSubmit={apply}>
      <div className="filter-line">
        <label className="field inline">
          <span>Date range</span>
          <select
            value={choice}
            onChange={(e) => {
              setChoice(e.target.value);
              const next = { ...draft, ...rangeOf(e.target.value, draft) };
              setDraft(next);
              if (e.target.value !== CUSTOM_RANGE) onApply(cleanFilters({ ...filters, ...rangeOf(e.target.value, draft) }));
            }}
          >
            {DASHBOARD_PRESETS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
            <option value={CUSTOM_RANGE}>Custom…</option>
          </select>
        </label>
        {choice === CUSTOM_RANGE && (
          <>
            <label className="field inline">
              <span>From</span>
              <input
                placeholder="2026-11-01 or -7d"
                value={draft.date_from ?? ""}
                onChange={(e) => setDraft({ ...draft, date_from: e.target.value })}
              />
            </label>
            <label className="field inline">
              <span>To</span>
              <input
                placeholder="now"
                value={draft.date_to ?? ""}
                onChange={(e) => setDraft({ ...draft, date_to: e.target.value })}
              />
            </label>
          </>
        )}
        <button
          type="button"
          className="secondary"
          onClick={() =>
            setDraft({
              ...draft,
              properties: [...draft.properties, { key: "", operator: "exact", type: "event", value: "" }],
            })
          }
        >
          Add property filter
        </button>
        <button type="submit">Apply filters</button>
      </div>
      {draft.properties.length > 0 && (
        <ul className="filter-rows" aria-label="Property filters">
          {draft.properties.map((filter, index) => (
            <PropertyFilterRow
              key={index}
              projectId={projectId}
              index={index}
              filter={filter}
              onChange={(next) => setProperty(index, next)}
              onRemove={() => setProperty(index, null)}
            />
          ))}
        </ul>
      )}
    </form>
  );
}
