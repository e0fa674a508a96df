// Funnels, retention, lifecycle and stickiness: their own settings.

import type {
  FunnelOrder,
  FunnelViz,
  FunnelsFilter,
  FunnelsQuery,
  LifecycleQuery,
  RetentionEntity,
  RetentionPeriod,
  RetentionQuery,
  RetentionType,
  SeriesNode,
  StickinessQuery,
  WindowUnit,
} from "../../insights/types";
import { IntervalSelect, NumberInput } from "./CommonControls";
import { funnelStepsWithin } from "./insightState";
import { EntityPicker, SeriesEditor } from "./SeriesEditor";
import { BreakdownPicker } from "./TrendsControls";

const UNITS: WindowUnit[] = ["minute", "hour", "day", "week", "month"];

export function FunnelControls({ projectId, query, onChange }: { projectId: number; query: FunnelsQuery; onChange: (q: FunnelsQuery) => void }) {
  const filter = query.funnelsFilter ?? {};
  const timeView = filter.funnelVizType === "time_to_convert";
  const set = (part: Partial<NonNullable<FunnelsQuery["funnelsFilter"]>>) =>
    onChange({ ...query, funnelsFilter: { ...filter, ...part } });
  return (
    <>
      <fieldset className="insight-fieldset">
        <legend>Steps</legend>
        <SeriesEditor
          projectId={projectId}
          series={query.series}
          noun="Step"
          withMath={false}
          min={2}
          onChange={(series) => onChange({ ...query, series })}
        />
      </fieldset>
      <div className="control-group">
        <label>
          Funnel view
          <select
            value={timeView ? "time_to_convert" : "steps"}
            onChange={(e) => {
              const viz = e.target.value as FunnelViz;
              // A histogram has no breakdown (the server refuses one): it is dropped.
              onChange({
                ...query,
                breakdownFilter: viz === "time_to_convert" ? undefined : query.breakdownFilter,
                funnelsFilter: { ...filter, funnelVizType: viz },
              });
            }}
          >
            <option value="steps">Conversion steps</option>
            <option value="time_to_convert">Time to convert</option>
          </select>
        </label>
        <label>
          Step order
          <select value={filter.funnelOrderType ?? "ordered"} onChange={(e) => set({ funnelOrderType: e.target.value as FunnelOrder })}>
            <option value="ordered">Sequential</option>
            <option value="strict">Strict order</option>
            <option value="unordered">Any order</option>
          </select>
        </label>
        <NumberInput
          label="Conversion window"
          min={1}
          value={filter.funnelWindowInterval ?? 14}
          onChange={(n) => set({ funnelWindowInterval: n ?? 14 })}
        />
        <label>
          Window unit
          <select
            value={filter.funnelWindowIntervalUnit ?? "day"}
            onChange={(e) => set({ funnelWindowIntervalUnit: e.target.value as WindowUnit })}
          >
            {UNITS.map((unit) => (
              <option key={unit} value={unit}>
                {unit}s
              </option>
            ))}
          </select>
        </label>
      </div>
      {timeView ? (
        <TimeToConvertControls query={query} onChange={set} />
      ) : (
        <BreakdownPicker
          projectId={projectId}
          value={query.breakdownFilter}
          onChange={(breakdownFilter) => onChange({ ...query, breakdownFilter })}
        />
      )}
    </>
  );
}

function stepLabel(node: SeriesNode, index: number): string {
  const name = node.custom_name || (node.kind === "ActionsNode" ? `Action ${node.id}` : (node.event ?? "All events"));
  return `${index + 1}. ${name}`;
}

/** From and to which step the times run, and how many bins (blank: worked out from the data). */
function TimeToConvertControls({ query, onChange }: { query: FunnelsQuery; onChange: (part: Partial<FunnelsFilter>) => void }) {
  const filter = funnelStepsWithin(query.funnelsFilter ?? {}, query.series.length);
  const to = filter.funnelToStep ?? Math.max(1, query.series.length - 1);
  const from = filter.funnelFromStep ?? 0;
  return (
    <div className="control-group">
      <label>
        From step
        <select value={from} onChange={(e) => onChange({ funnelFromStep: Number(e.target.value) })}>
          {query.series.slice(0, to).map((node, index) => (
            <option key={index} value={index}>
              {stepLabel(node, index)}
            </option>
          ))}
        </select>
      </label>
      <label>
        To step
        <select value={to} onChange={(e) => onChange({ funnelToStep: Number(e.target.value) })}>
          {query.series.map((node, index) =>
            index > from ? (
              <option key={index} value={index}>
                {stepLabel(node, index)}
              </option>
            ) : null,
          )}
        </select>
      </label>
      <NumberInput label="Bins" min={1} max={90} value={filter.binCount} onChange={(n) => onChange({ binCount: n })} />
    </div>
  );
}

function entityNode(entity: RetentionEntity | undefined): SeriesNode {
  return entity?.type === "actions"
    ? { kind: "ActionsNode", id: Number(entity.id) }
    : { kind: "EventsNode", event: entity === undefined ? "$pageview" : (entity.id as string | null) };
}

export function RetentionControls({ projectId, query, onChange }: { projectId: number; query: RetentionQuery; onChange: (q: RetentionQuery) => void }) {
  const filter = query.retentionFilter ?? {};
  const set = (part: Partial<NonNullable<RetentionQuery["retentionFilter"]>>) =>
    onChange({ ...query, retentionFilter: { ...filter, ...part } });
  const entity = (node: SeriesNode): RetentionEntity =>
    node.kind === "ActionsNode" ? { id: node.id, type: "actions" } : { id: node.event, type: "events" };
  return (
    <div className="control-group stacked">
      <div className="control-group">
        <span className="control-title">Persons who did</span>
        <EntityPicker projectId={projectId} label="Target" node={entityNode(filter.targetEntity)} onChange={(n) => set({ targetEntity: entity(n) })} />
        <label>
          Retention type
          <select value={filter.retentionType ?? "retention_recurring"} onChange={(e) => set({ retentionType: e.target.value as RetentionType })}>
            <option value="retention_first_time">for the first time</option>
            <option value="retention_recurring">recurringly</option>
          </select>
        </label>
      </div>
      <div className="control-group">
        <span className="control-title">and came back to do</span>
        <EntityPicker projectId={projectId} label="Returning" node={entityNode(filter.returningEntity)} onChange={(n) => set({ returningEntity: entity(n) })} />
      </div>
      <div className="control-group">
        <label>
          Period
          <select value={filter.period ?? "Day"} onChange={(e) => set({ period: e.target.value as RetentionPeriod })}>
            {(["Hour", "Day", "Week", "Month"] as const).map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <NumberInput label="Number of periods" min={1} max={400} value={filter.totalIntervals ?? 7} onChange={(n) => set({ totalIntervals: n ?? 7 })} />
      </div>
      <BreakdownPicker
        projectId={projectId}
        value={query.breakdownFilter}
        onChange={(breakdownFilter) => onChange({ ...query, breakdownFilter })}
      />
    </div>
  );
}

export function SingleSeriesControls({
  projectId,
  query,
  onChange,
}: {
  projectId: number;
  query: LifecycleQuery | StickinessQuery;
  onChange: (q: LifecycleQuery | StickinessQuery) => void;
}) {
  const lifecycle = query.kind === "LifecycleQuery";
  return (
    <>
      <fieldset className="insight-fieldset">
        <legend>{lifecycle ? "Event" : "Series"}</legend>
        <SeriesEditor
          projectId={projectId}
          series={query.series}
          noun="Series"
          withMath={false}
          max={lifecycle ? 1 : 20}
          onChange={(series) => onChange({ ...query, series })}
        />
      </fieldset>
      <div className="control-group">
        <IntervalSelect value={query.interval} onChange={(interval) => onChange({ ...query, interval })} />
      </div>
    </>
  );
}
