// The page's filters as chips: what each keeps ("Page is /pricing"), and a button that
// removes it. Captured values are text children only.

import { filterLabel } from "./breakdowns";
import { withoutFilter, type WebState } from "./webState";

interface Props {
  state: WebState;
  onChange: (state: WebState) => void;
}

export function FilterChips({ state, onChange }: Props) {
  if (state.filters.length === 0) return null;
  return (
    <ul className="web-chips" aria-label="Filters">
      {state.filters.map((filter, index) => {
        const label = filterLabel(filter);
        return (
          <li key={`${filter.type} ${filter.key}`} className="web-chip">
            <span className="web-chip-text" title={label}>
              {label}
            </span>
            <button
              type="button"
              className="web-chip-remove"
              aria-label={`Remove filter: ${label}`}
              onClick={() => onChange(withoutFilter(state, index))}
            >
              ×
            </button>
          </li>
        );
      })}
      {state.filters.length > 1 && (
        <li>
          <button type="button" className="secondary web-chips-clear" onClick={() => onChange({ ...state, filters: [] })}>
            Clear filters
          </button>
        </li>
      )}
    </ul>
  );
}
