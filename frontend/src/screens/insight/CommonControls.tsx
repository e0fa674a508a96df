// Controls several kinds share: global property filters, the date range, the interval.

import { useState } from "react";

import { PropertyFilterRow } from "../../components/PropertyFilterRow";
import type { PropertyFilter } from "../../lib/types";
import type { DateRange, Interval } from "../../insights/types";
import { CUSTOM, DATE_PRESETS, presetOf, rangeLabel } from "./dateRange";

export function GlobalFilters({
  projectId,
  filters,
  onChange,
}: {
  projectId: number;
  filters: PropertyFilter[];
  onChange: (filters: PropertyFilter[]) => void;
}) {
  return (
    <fieldset className="insight-fieldset">
      <legend>Filters</legend>
      {filters.length > 0 && (
        <ul className="filter-rows">
          {filters.map((filter, i) => (
            <PropertyFilterRow
              key={i}
              projectId={projectId}
              index={i}
              filter={filter}
              label="Filter"
              onChange={(next) => onChange(filters.map((f, j) => (j === i ? next : f)))}
              onRemove={() => onChange(filters.filter((_, j) => j !== i))}
            />
          ))}
        </ul>
      )}
      <button
        type="button"
        className="secondary"
        onClick={() => onChange([...filters, { key: "", operator: "exact", type: "event", value: "" }])}
      >
        Add filter
      </button>
    </fieldset>
  );
}

export function DateRangePicker({
  range,
  onChange,
  timezone,
}: {
  range: DateRange | undefined;
  onChange: (range: DateRange) => void;
  timezone: string;
}) {
  const preset = presetOf(range);
  const [custom, setCustom] = useState(preset === CUSTOM);
  const shown = custom ? CUSTOM : preset;
  return (
    <div className="control-group">
      <label>
        Date range
        <select
          value={shown}
          onChange={(e) => {
            if (e.target.value === CUSTOM) {
              setCustom(true);
              const today = new Date().toISOString().slice(0, 10);
              onChange({ date_from: range?.date_from?.match(/^\d{4}-/) ? range.date_from : today, date_to: today });
            } else {
              setCustom(false);
              onChange({ date_from: e.target.value });
            }
          }}
        >
          {DATE_PRESETS.map((p) => (
            <option key={p.from} value={p.from}>
              {p.label}
            </option>
          ))}
          {shown !== CUSTOM && !DATE_PRESETS.some((p) => p.from === shown) && (
            <option value={shown}>{rangeLabel(shown)}</option>
          )}
          <option value={CUSTOM}>Custom dates</option>
        </select>
      </label>
      {shown === CUSTOM && (
        <>
          <label>
            From
            <input
              type="date"
              value={(range?.date_from ?? "").slice(0, 10)}
              onChange={(e) => onChange({ ...range, date_from: e.target.value })}
            />
          </label>
          <label>
            To
            <input
              type="date"
              value={(range?.date_to ?? "").slice(0, 10)}
              onChange={(e) => onChange({ ...range, date_to: e.target.value || null })}
            />
          </label>
        </>
      )}
      <span className="muted timezone">Dates in {timezone}</span>
    </div>
  );
}

const INTERVALS: Interval[] = ["hour", "day", "week", "month"];

export function IntervalSelect({ value, onChange }: { value: Interval | undefined; onChange: (value: Interval) => void }) {
  return (
    <label>
      Interval
      <select value={value ?? "day"} onChange={(e) => onChange(e.target.value as Interval)}>
        {INTERVALS.map((interval) => (
          <option key={interval} value={interval}>
            {interval[0]?.toUpperCase() + interval.slice(1)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function NumberInput({
  label,
  value,
  min,
  max,
  onChange,
}: {
  label: string;
  value: number | undefined;
  min: number;
  max?: number;
  onChange: (value: number | undefined) => void;
}) {
  return (
    <label>
      {label}
      <input
        type="number"
        min={min}
        max={max}
        value={value ?? ""}
        onChange={(e) => {
          const n = e.target.valueAsNumber;
          onChange(Number.isFinite(n) && n >= min && (max === undefined || n <= max) ? n : undefined);
        }}
      />
    </label>
  );
}
