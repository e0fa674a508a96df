import { useState, type FormEvent } from "react";

import type { EventFilters as Filters } from "../lib/eventsFilters";
import type { PropertyFilter } from "../lib/types";
import { CUSTOM_CHOICE, DateRangeFields } from "./DateRangeFields";
import { PropertyFilterRow } from "./PropertyFilterRow";
import { useEventNames } from "./suggestions";

export const DATE_PRESETS: [string, string][] = [
  ["", "All time"],
  ["-1h", "Last hour"],
  ["-24h", "Last 24 hours"],
  ["-7d", "Last 7 days"],
  ["-30d", "Last 30 days"],
  ["-90d", "Last 90 days"],
];
const CUSTOM = CUSTOM_CHOICE;

function presetOf(filters: Filters): string {
  const preset = DATE_PRESETS.find(([after]) => after === (filters.after ?? ""));
  return preset && !filters.before ? preset[0] : CUSTOM;
}

interface Props {
  projectId: number;
  filters: Filters;
  onApply: (filters: Filters) => void;
}

/** The filter form: edits a draft; "Apply filters" (or Enter) puts it in the URL. */
export function EventFilters({ projectId, filters, onApply }: Props) {
  const [draft, setDraft] = useState(filters);
  const [preset, setPreset] = useState(() => presetOf(filters));
  const eventNames = useEventNames(projectId);

  function update(part: Partial<Filters>) {
    setDraft((current) => ({ ...current, ...part }));
  }

  function setProperty(index: number, filter: PropertyFilter | null) {
    const properties = draft.properties.flatMap((f, i) =>
      i !== index ? [f] : filter ? [filter] : [],
    );
    update({ properties });
  }

  function apply(event: FormEvent) {
    event.preventDefault();
    onApply({
      event: draft.event?.trim() || null,
      properties: draft.properties.filter((f) => f.key.trim() !== ""),
      after: draft.after?.trim() || null,
      before: draft.before?.trim() || null,
    });
  }

  return (
    <form className="filters" onSubmit={apply} aria-label="Event filters">
      <div className="filter-line">
        <label className="field inline">
          <span>Event</span>
          <input
            list="event-names"
            placeholder="All events"
            value={draft.event ?? ""}
            onChange={(e) => update({ event: e.target.value })}
          />
        </label>
        <datalist id="event-names">
          {eventNames.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <DateRangeFields
          presets={DATE_PRESETS}
          choice={preset}
          onChoose={(choice) => {
            setPreset(choice);
            if (choice !== CUSTOM) update({ after: choice || null, before: null });
          }}
          from={draft.after}
          to={draft.before}
          onFrom={(after) => update({ after })}
          onTo={(before) => update({ before })}
        />
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
      <div className="filter-line">
        <button
          type="button"
          className="secondary"
          onClick={() =>
            update({
              properties: [...draft.properties, { key: "", operator: "exact", type: "event", value: "" }],
            })
          }
        >
          Add property filter
        </button>
        <button type="submit">Apply filters</button>
      </div>
    </form>
  );
}
