import type { Properties, PropertyValue } from "../lib/types";

function isObject(value: PropertyValue): value is Properties | PropertyValue[] {
  return typeof value === "object" && value !== null;
}

function Scalar({ value }: { value: PropertyValue }) {
  if (value === null) return <span className="null">null</span>;
  if (typeof value === "string") return <span className="string">{value}</span>;
  return <span className="literal">{String(value)}</span>;
}

function Value({ value }: { value: PropertyValue }) {
  if (!isObject(value)) return <Scalar value={value} />;
  const entries = Object.entries(value);
  const label = Array.isArray(value) ? `${entries.length} items` : `${entries.length} keys`;
  return (
    <details open className="tree">
      <summary>{label}</summary>
      {entries.length > 0 && <PropertyTable entries={entries} nested />}
    </details>
  );
}

/** Keys and values as a table; objects and lists open into nested tables. */
export function PropertyTable({
  entries,
  nested = false,
  caption,
  labelOf,
}: {
  entries: [string, PropertyValue][];
  nested?: boolean;
  caption?: string;
  /** A readable name shown under a key ("Initial browser"), or null for none. */
  labelOf?: (key: string) => string | null;
}) {
  return (
    <table className={nested ? "properties nested" : "properties"}>
      {caption && <caption>{caption}</caption>}
      {!nested && (
        <thead>
          <tr>
            <th scope="col">Property</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
      )}
      <tbody>
        {entries.map(([key, value]) => {
          const label = labelOf?.(key);
          return (
            <tr key={key}>
              <th scope="row">
                {key}
                {label && <span className="property-label">{label}</span>}
              </th>
              <td>
                <Value value={value} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The properties sent with the event, then PostHog's own (`$`) ones apart. */
export function splitProperties(properties: Properties): {
  custom: [string, PropertyValue][];
  builtIn: [string, PropertyValue][];
} {
  const entries = Object.entries(properties).sort(([a], [b]) => a.localeCompare(b));
  return {
    custom: entries.filter(([key]) => !key.startsWith("$")),
    builtIn: entries.filter(([key]) => key.startsWith("$")),
  };
}
