// One property filter (kind, property, operator, value, with names and values suggested):
// the event list's filters and the action editor's step filters.

import { useState } from "react";

import { VALUELESS } from "../lib/eventsFilters";
import { OPERATORS, type FilterType, type Operator, type PropertyFilter } from "../lib/types";
import { usePropertyNames, usePropertyValues } from "./suggestions";

export const OPERATOR_LABELS: Record<Operator, string> = {
  exact: "equals",
  is_not: "doesn't equal",
  icontains: "contains",
  not_icontains: "doesn't contain",
  regex: "matches regex",
  not_regex: "doesn't match regex",
  gt: "greater than",
  gte: "greater than or equal to",
  lt: "less than",
  lte: "less than or equal to",
  is_set: "is set",
  is_not_set: "is not set",
  is_date_exact: "is on the date",
  is_date_before: "is before the date",
  is_date_after: "is after the date",
};

const TYPE_LABELS: Record<FilterType, string> = {
  event: "Event property",
  person: "Person property",
  element: "Element",
};

interface Props {
  projectId: number;
  index: number;
  filter: PropertyFilter;
  onChange: (filter: PropertyFilter) => void;
  onRemove: () => void;
  /** What the controls' accessible names start with: "Filter" gives "Filter 1 property". */
  label?: string;
}

export function PropertyFilterRow({
  projectId,
  index,
  filter,
  onChange,
  onRemove,
  label = "Filter",
}: Props) {
  const n = index + 1;
  // Stable ids (tests and the suggestions' <datalist>s find them): "filter-1-names", or
  // "match-group-2-filter-1-names" with the label "Match group 2 filter".
  const id = `${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${n}`;
  const [valueFocused, setValueFocused] = useState(false);
  const names = usePropertyNames(projectId, filter.type);
  const known = names.includes(filter.key);
  const values = usePropertyValues(projectId, filter.type, filter.key, valueFocused && known);
  const namesId = `${id}-names`;
  const valuesId = `${id}-values`;
  const value = Array.isArray(filter.value) ? filter.value.join(", ") : String(filter.value ?? "");

  function change(part: Partial<PropertyFilter>) {
    const next: PropertyFilter = { ...filter, ...part };
    if (VALUELESS.includes(next.operator)) delete next.value;
    onChange(next);
  }

  return (
    <li className="filter-row">
      <select
        aria-label={`${label} ${n} kind`}
        value={filter.type}
        onChange={(e) => change({ type: e.target.value as FilterType, key: "" })}
      >
        {(Object.keys(TYPE_LABELS) as FilterType[]).map((type) => (
          <option key={type} value={type}>
            {TYPE_LABELS[type]}
          </option>
        ))}
      </select>
      <input
        aria-label={`${label} ${n} property`}
        placeholder="property"
        list={namesId}
        value={filter.key}
        onChange={(e) => change({ key: e.target.value })}
        required
      />
      <datalist id={namesId}>
        {names.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <select
        aria-label={`${label} ${n} operator`}
        value={filter.operator}
        onChange={(e) => change({ operator: e.target.value as Operator })}
      >
        {OPERATORS.map((operator) => (
          <option key={operator} value={operator}>
            {OPERATOR_LABELS[operator]}
          </option>
        ))}
      </select>
      {!VALUELESS.includes(filter.operator) && (
        <>
          <input
            aria-label={`${label} ${n} value`}
            placeholder="value"
            list={valuesId}
            value={value}
            onFocus={() => setValueFocused(true)}
            onChange={(e) => change({ value: e.target.value })}
          />
          <datalist id={valuesId}>
            {values.map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </>
      )}
      <button
        type="button"
        className="secondary"
        aria-label={`Remove ${label.toLowerCase()} ${n}`}
        onClick={onRemove}
      >
        Remove
      </button>
    </li>
  );
}
