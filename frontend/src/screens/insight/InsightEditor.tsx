// The kind tabs and the controls of the selected kind.

import type { PropertyFilter, Project } from "../../lib/types";
import type { InsightQuery } from "../../insights/types";
import { DateRangePicker, GlobalFilters } from "./CommonControls";
import { KIND_TABS, switchKind } from "./insightState";
import { FunnelControls, RetentionControls, SingleSeriesControls } from "./KindControls";
import { PathsControls } from "./PathsControls";
import { SqlControls } from "./SqlControls";
import { TrendsControls } from "./TrendsControls";

interface Props {
  project: Project;
  query: InsightQuery;
  onChange: (query: InsightQuery) => void;
}

export function InsightEditor({ project, query, onChange }: Props) {
  return (
    <section className="insight-editor" aria-label="Insight settings">
      <div role="tablist" aria-label="Insight kind" className="kind-tabs">
        {KIND_TABS.map((tab) => (
          <button
            key={tab.kind}
            type="button"
            role="tab"
            id={`tab-${tab.kind}`}
            aria-selected={tab.kind === query.kind}
            aria-controls="insight-kind-panel"
            className={tab.kind === query.kind ? "kind-tab selected" : "kind-tab"}
            onClick={() => tab.kind !== query.kind && onChange(switchKind(query, tab.kind))}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="insight-kind-panel" aria-labelledby={`tab-${query.kind}`} className="kind-panel">
        <KindPanel project={project} query={query} onChange={onChange} />
      </div>
    </section>
  );
}

function KindPanel({ project, query, onChange }: Props) {
  const projectId = project.id;
  if (query.kind === "HogQLQuery") return <SqlControls key={query.query} query={query} onChange={onChange} />;
  const filters = (Array.isArray(query.properties) ? query.properties : []) as PropertyFilter[];
  const controls = (() => {
    switch (query.kind) {
      case "TrendsQuery":
        return <TrendsControls projectId={projectId} query={query} onChange={onChange} />;
      case "FunnelsQuery":
        return <FunnelControls projectId={projectId} query={query} onChange={onChange} />;
      case "RetentionQuery":
        return <RetentionControls projectId={projectId} query={query} onChange={onChange} />;
      case "PathsQuery":
        return <PathsControls query={query} onChange={onChange} />;
      case "LifecycleQuery":
      case "StickinessQuery":
        return <SingleSeriesControls projectId={projectId} query={query} onChange={onChange} />;
    }
  })();
  return (
    <>
      {controls}
      <GlobalFilters projectId={projectId} filters={filters} onChange={(properties) => onChange({ ...query, properties })} />
      {/* Retention's range is its number of periods (up to now). */}
      {query.kind !== "RetentionQuery" && <DateRangePicker
        range={query.dateRange}
        timezone={project.timezone}
        onChange={(dateRange) => onChange({ ...query, dateRange })}
      />}
    </>
  );
}
