// The series (or funnel steps) of a query: each an event or an action, its math, its own
// property filters and a name.

import { PropertyFilterRow } from "../../components/PropertyFilterRow";
import type { PropertyFilter } from "../../lib/types";
import { MATHS, PROPERTY_MATHS, type Math, type SeriesNode } from "../../insights/types";
import { useActionList } from "../actions/actionsApi";
import { useEventNames } from "../../components/suggestions";

export const MATH_LABELS: Record<Math, string> = {
  total: "Total count",
  dau: "Unique users",
  weekly_active: "Weekly active users",
  monthly_active: "Monthly active users",
  unique_session: "Unique sessions",
  sum: "Property sum",
  avg: "Property average",
  min: "Property minimum",
  max: "Property maximum",
  median: "Property median",
  p75: "Property 75th percentile",
  p90: "Property 90th percentile",
  p95: "Property 95th percentile",
  p99: "Property 99th percentile",
};

const ALL_EVENTS = "All events";

interface Props {
  projectId: number;
  series: SeriesNode[];
  onChange: (series: SeriesNode[]) => void;
  /** "Series" or "Step". */
  noun: string;
  withMath: boolean;
  max?: number;
  min?: number;
}

export function SeriesEditor({ projectId, series, onChange, noun, withMath, max = 20, min = 1 }: Props) {
  const update = (index: number, node: SeriesNode) => onChange(series.map((s, i) => (i === index ? node : s)));
  return (
    <div className="series-editor">
      <ol className="series-list">
        {series.map((node, index) => (
          <SeriesRow
            key={index}
            projectId={projectId}
            label={`${noun} ${index + 1}`}
            node={node}
            withMath={withMath}
            onChange={(next) => update(index, next)}
            onRemove={series.length > min ? () => onChange(series.filter((_, i) => i !== index)) : undefined}
          />
        ))}
      </ol>
      {series.length < max && (
        <button
          type="button"
          className="secondary"
          onClick={() => onChange([...series, { kind: "EventsNode", event: "$pageview" }])}
        >
          Add {noun.toLowerCase()}
        </button>
      )}
    </div>
  );
}

interface RowProps {
  projectId: number;
  label: string;
  node: SeriesNode;
  withMath: boolean;
  onChange: (node: SeriesNode) => void;
  onRemove?: () => void;
}

function SeriesRow({ projectId, label, node, withMath, onChange, onRemove }: RowProps) {
  const filters = node.properties ?? [];
  const math = node.math ?? "total";
  const setFilters = (properties: PropertyFilter[]) => onChange({ ...node, properties });
  return (
    <li className="series-row">
      <div className="series-main">
        <span className="series-letter" aria-hidden="true">
          {label.split(" ").at(-1)}
        </span>
        <EntityPicker projectId={projectId} label={label} node={node} onChange={onChange} />
        {withMath && (
          <select
            aria-label={`${label} math`}
            value={math}
            onChange={(e) => {
              const next = e.target.value as Math;
              onChange({ ...node, math: next === "total" ? undefined : next });
            }}
          >
            {MATHS.map((m) => (
              <option key={m} value={m}>
                {MATH_LABELS[m]}
              </option>
            ))}
          </select>
        )}
        {withMath && PROPERTY_MATHS.includes(math) && (
          <>
            <select
              aria-label={`${label} math property type`}
              value={node.math_property_type ?? "event_properties"}
              onChange={(e) => {
                const next = { ...node };
                if (e.target.value === "person_properties") next.math_property_type = "person_properties";
                else delete next.math_property_type;
                onChange(next);
              }}
            >
              <option value="event_properties">of the event property</option>
              <option value="person_properties">of the person property</option>
            </select>
            <input
              aria-label={`${label} math property`}
              placeholder="numeric property"
              value={node.math_property ?? ""}
              onChange={(e) => onChange({ ...node, math_property: e.target.value })}
            />
          </>
        )}
        <input
          aria-label={`${label} name`}
          placeholder="Rename"
          value={node.custom_name ?? ""}
          onChange={(e) => onChange({ ...node, custom_name: e.target.value })}
        />
        <button
          type="button"
          className="secondary"
          onClick={() => setFilters([...filters, { key: "", operator: "exact", type: "event", value: "" }])}
        >
          Add filter<span className="visually-hidden"> to {label.toLowerCase()}</span>
        </button>
        {onRemove && (
          <button type="button" className="secondary" aria-label={`Remove ${label.toLowerCase()}`} onClick={onRemove}>
            Remove
          </button>
        )}
      </div>
      {filters.length > 0 && (
        <ul className="filter-rows">
          {filters.map((filter, i) => (
            <PropertyFilterRow
              key={i}
              projectId={projectId}
              index={i}
              filter={filter}
              label={`${label} filter`}
              onChange={(next) => setFilters(filters.map((f, j) => (j === i ? next : f)))}
              onRemove={() => setFilters(filters.filter((_, j) => j !== i))}
            />
          ))}
        </ul>
      )}
    </li>
  );
}

/** An event name (typed, with suggestions; empty = all events) or an action. */
export function EntityPicker({
  projectId,
  label,
  node,
  onChange,
}: {
  projectId: number;
  label: string;
  node: SeriesNode;
  onChange: (node: SeriesNode) => void;
}) {
  const events = useEventNames(projectId);
  const actions = useActionList(projectId).data?.results ?? [];
  const listId = `${label.toLowerCase().replace(/\s+/g, "-")}-events`;
  const base = {
    properties: node.properties,
    math: node.math,
    math_property: node.math_property,
    math_property_type: node.math_property_type,
    custom_name: node.custom_name,
  };
  return (
    <>
      <select
        aria-label={`${label} type`}
        value={node.kind}
        onChange={(e) =>
          onChange(
            e.target.value === "ActionsNode"
              ? { ...base, kind: "ActionsNode", id: actions[0]?.id ?? 0 }
              : { ...base, kind: "EventsNode", event: "$pageview" },
          )
        }
      >
        <option value="EventsNode">Event</option>
        <option value="ActionsNode" disabled={actions.length === 0}>
          Action
        </option>
      </select>
      {node.kind === "EventsNode" ? (
        <>
          <input
            aria-label={`${label} event`}
            placeholder={ALL_EVENTS}
            list={listId}
            value={node.event ?? ""}
            onChange={(e) => onChange({ ...node, event: e.target.value === "" ? null : e.target.value })}
          />
          <datalist id={listId}>
            {events.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </>
      ) : (
        <select
          aria-label={`${label} action`}
          value={node.id}
          onChange={(e) => onChange({ ...node, id: Number(e.target.value) })}
        >
          {actions.map((action) => (
            <option key={action.id} value={action.id}>
              {action.name}
            </option>
          ))}
        </select>
      )}
    </>
  );
}
