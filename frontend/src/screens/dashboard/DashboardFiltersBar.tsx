import { useState, type FormEvent } from "react";

import { DateRangeFields } from "../../components/DateRangeFields";
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
        <DateRangeFields
          presets={DASHBOARD_PRESETS}
          choice={choice}
          onChoose={(value) => {
            setChoice(value);
            setDraft({ ...draft, ...rangeOf(value, draft) });
            if (value !== CUSTOM_RANGE) onApply(cleanFilters({ ...filters, ...rangeOf(value, draft) }));
          }}
          from={draft.date_from}
          to={draft.date_to}
          onFrom={(date_from) => setDraft({ ...draft, date_from })}
          onTo={(date_to) => setDraft({ ...draft, date_to })}
        />
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
