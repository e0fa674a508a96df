import { Link } from "react-router";

import { exactTime, relativeTime } from "../../lib/time";
import type { Definition } from "../../lib/types";
import { useNow } from "../../lib/useNow";
import { eventsLink, type PropertyKind } from "./definitionsList";

interface Props {
  kind: "events" | "properties";
  propertyKind: PropertyKind;
  definitions: Definition[];
  emptyText: string;
}

function Time({ value, now }: { value: string | null; now: number }) {
  if (!value) return <span className="none">—</span>;
  return (
    <time dateTime={value} title={exactTime(value)}>
      {relativeTime(value, now)}
    </time>
  );
}

function volumeMeaning(kind: Props["kind"], propertyKind: PropertyKind): string {
  if (kind === "events") return "Volume: how many events of that name are stored.";
  return propertyKind === "event"
    ? "Volume: how many events carry the property. Type: inferred from the values sent."
    : "Volume: how many persons have the property. Type: inferred from the values.";
}

/** Event or property definitions: name, (type,) volume, first and last seen. */
export function DefinitionsTable({ kind, propertyKind, definitions, emptyText }: Props) {
  const now = useNow(30_000);
  const properties = kind === "properties";
  return (
    <div className="table-scroll definitions-table-scroll">
      <table className="data-table definitions-table">
        <caption>{volumeMeaning(kind, propertyKind)}</caption>
        <colgroup>
          <col className="col-name" />
          {properties && <col className="col-type" />}
          <col className="col-volume" />
          <col className="col-seen" />
          <col className="col-seen" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Name</th>
            {properties && <th scope="col">Type</th>}
            <th scope="col" className="number">
              Volume
            </th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {definitions.map((definition) => (
            <tr key={definition.id}>
              <th scope="row" title={definition.name}>
                {properties ? (
                  <code>{definition.name}</code>
                ) : (
                  <Link to={eventsLink(definition.name)}>{definition.name}</Link>
                )}
              </th>
              {properties && (
                <td>
                  {definition.property_type ? (
                    <span className="type-tag">{definition.property_type}</span>
                  ) : (
                    <span className="none" title="No type: the values are null, objects or arrays">
                      —
                    </span>
                  )}
                </td>
              )}
              <td className="number">{definition.volume.toLocaleString("en")}</td>
              <td>
                <Time value={definition.first_seen_at} now={now} />
              </td>
              <td>
                <Time value={definition.last_seen_at} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {definitions.length === 0 && (
        <p className="list-end" role="status">
          {emptyText}
        </p>
      )}
    </div>
  );
}
