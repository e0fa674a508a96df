// The date range, compare, site (host) and path cleaning controls of /web. A preset applies
// at once; a custom range applies with "Apply dates" (typing would otherwise add a history
// entry a key).

import { useState, type FormEvent } from "react";

import { CUSTOM_CHOICE, DateRangeFields } from "../../components/DateRangeFields";
import type { HogQLResponse } from "../../insights/types";
import { hostsQuery } from "./webQueries";
import type { WebState } from "./webState";
import { useWebQuery } from "./useWebQuery";

export const WEB_PRESETS: [string, string][] = [
  ["-24h", "Last 24 hours"],
  ["-7d", "Last 7 days"],
  ["-14d", "Last 14 days"],
  ["-30d", "Last 30 days"],
  ["-90d", "Last 90 days"],
  ["-180d", "Last 180 days"],
  ["-12m", "Last 12 months"],
];

export function presetChoice(state: Pick<WebState, "dateFrom" | "dateTo">): string {
  return !state.dateTo && WEB_PRESETS.some(([value]) => value === state.dateFrom) ? state.dateFrom : CUSTOM_CHOICE;
}

interface Props {
  projectId: number;
  state: WebState;
  onChange: (state: WebState) => void;
}

export function WebControls({ projectId, state, onChange }: Props) {
  return (
    <div className="filters web-controls">
      <div className="filter-line">
        {/* Remounted when the URL's range changes (back, a link), so the fields show it. */}
        <DateControls key={`${state.dateFrom} ${state.dateTo ?? ""}`} state={state} onChange={onChange} />
        <label className="field inline">
          <input
            type="checkbox"
            checked={state.compare}
            onChange={(e) => onChange({ ...state, compare: e.target.checked })}
          />
          <span>Compare to previous period</span>
        </label>
        <HostPicker projectId={projectId} state={state} onChange={onChange} />
        <label className="field inline">
          <input
            type="checkbox"
            checked={state.pathCleaning}
            onChange={(e) => onChange({ ...state, pathCleaning: e.target.checked })}
          />
          <span>Path cleaning</span>
        </label>
      </div>
    </div>
  );
}

function DateControls({ state, onChange }: Omit<Props, "projectId">) {
  const [choice, setChoice] = useState(() => presetChoice(state));
  const [from, setFrom] = useState(state.dateFrom);
  const [to, setTo] = useState(state.dateTo ?? "");

  function apply(event: FormEvent) {
    event.preventDefault();
    if (from.trim()) onChange({ ...state, dateFrom: from.trim(), dateTo: to.trim() || null });
  }

  return (
    <form className="filter-line" aria-label="Date range" onSubmit={apply}>
      <DateRangeFields
        presets={WEB_PRESETS}
        choice={choice}
        onChoose={(value) => {
          setChoice(value);
          if (value !== CUSTOM_CHOICE) onChange({ ...state, dateFrom: value, dateTo: null });
        }}
        from={from}
        to={to}
        onFrom={setFrom}
        onTo={setTo}
      />
      {choice === CUSTOM_CHOICE && <button type="submit">Apply dates</button>}
    </form>
  );
}

/** The site picker: shown when the project's page views come from more than one host. */
function HostPicker({ projectId, state, onChange }: Props) {
  const hosts = useWebQuery<HogQLResponse>(projectId, hostsQuery());
  const names = (hosts.data?.results ?? [])
    .map((row) => (Array.isArray(row) ? row[0] : null))
    .filter((host): host is string => typeof host === "string" && host !== "");
  if (state.host && !names.includes(state.host)) names.unshift(state.host);
  if (names.length < 2 && !state.host) return null;
  return (
    <label className="field inline">
      <span>Site</span>
      <select value={state.host ?? ""} onChange={(e) => onChange({ ...state, host: e.target.value || null })}>
        <option value="">All sites</option>
        {names.map((host) => (
          <option key={host} value={host}>
            {host}
          </option>
        ))}
      </select>
    </label>
  );
}
