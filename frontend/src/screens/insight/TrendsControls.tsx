// Trends: series, display, interval, breakdown, compare and formula.

import { usePropertyNames } from "../../components/suggestions";
import {
  DISPLAY_LABELS,
  TRENDS_DISPLAYS,
  type BreakdownFilter,
  type BreakdownType,
  type TrendsDisplay,
  type TrendsQuery,
} from "../../insights/types";
import { IntervalSelect } from "./CommonControls";
import { SeriesEditor } from "./SeriesEditor";

interface Props {
  projectId: number;
  query: TrendsQuery;
  onChange: (query: TrendsQuery) => void;
}

export function TrendsControls({ projectId, query, onChange }: Props) {
  const formula = query.trendsFilter?.formulaNodes?.[0]?.formula ?? "";
  return (
    <>
      <fieldset className="insight-fieldset">
        <legend>Series</legend>
        <SeriesEditor
          projectId={projectId}
          series={query.series}
          noun="Series"
          withMath
          onChange={(series) => onChange({ ...query, series })}
        />
        <div className="control-group">
        <label>
          Formula
          <input
            placeholder="e.g. A / B"
            value={formula}
            onChange={(e) =>
              onChange({
                ...query,
                trendsFilter: { ...query.trendsFilter, formulaNodes: e.target.value ? [{ formula: e.target.value }] : undefined },
              })
            }
          />
        </label>
        </div>
      </fieldset>
      <div className="control-group">
        <label>
          Chart type
          <select
            value={query.trendsFilter?.display ?? "ActionsLineGraph"}
            onChange={(e) =>
              onChange({ ...query, trendsFilter: { ...query.trendsFilter, display: e.target.value as TrendsDisplay } })
            }
          >
            {TRENDS_DISPLAYS.map((display) => (
              <option key={display} value={display}>
                {DISPLAY_LABELS[display]}
              </option>
            ))}
          </select>
        </label>
        <IntervalSelect value={query.interval} onChange={(interval) => onChange({ ...query, interval })} />
        <label className="checkbox">
          <input
            type="checkbox"
            checked={query.compareFilter?.compare ?? false}
            onChange={(e) => onChange({ ...query, compareFilter: e.target.checked ? { compare: true } : undefined })}
          />
          Compare to the previous period
        </label>
      </div>
      <BreakdownPicker
        projectId={projectId}
        value={query.breakdownFilter}
        onChange={(breakdownFilter) => onChange({ ...query, breakdownFilter })}
      />
    </>
  );
}

export function BreakdownPicker({
  projectId,
  value,
  onChange,
}: {
  projectId: number;
  value: BreakdownFilter | undefined;
  onChange: (value: BreakdownFilter | undefined) => void;
}) {
  const type: BreakdownType = value?.breakdown_type ?? "event";
  const names = usePropertyNames(projectId, type);
  return (
    <div className="control-group">
      <label>
        Breakdown by
        <select
          value={type}
          onChange={(e) => onChange({ breakdown: value?.breakdown ?? "", breakdown_type: e.target.value as BreakdownType })}
        >
          <option value="event">Event property</option>
          <option value="person">Person property</option>
        </select>
      </label>
      <label>
        Breakdown property
        <input
          list="breakdown-names"
          placeholder="none"
          value={value?.breakdown ?? ""}
          onChange={(e) =>
            onChange(e.target.value ? { breakdown: e.target.value, breakdown_type: type } : undefined)
          }
        />
      </label>
      <datalist id="breakdown-names">
        {names.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
    </div>
  );
}
