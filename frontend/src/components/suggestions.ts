// What the filter inputs suggest: event and property names from the definitions, and the
// most frequent values of a property from an EventsQuery count.

import { useQuery } from "@tanstack/react-query";

import { api, projectPath, runQuery } from "../lib/api";
import type { Definition, FilterType, Page, QueryResponse } from "../lib/types";

const LIST_LIMIT = 1000;
const VALUE_LIMIT = 20;
export const ELEMENT_KEYS = ["text", "tag_name", "href", "selector"];

export function useEventNames(projectId: number): string[] {
  const { data } = useQuery({
    queryKey: ["event-definitions", projectId],
    queryFn: () =>
      api<Page<Definition>>(projectPath(projectId, `event_definitions/?limit=${LIST_LIMIT}`)),
    staleTime: 60_000,
  });
  return data?.results.map((d) => d.name) ?? [];
}

export function usePropertyNames(projectId: number, type: FilterType): string[] {
  const { data } = useQuery({
    queryKey: ["property-definitions", projectId, type],
    queryFn: () =>
      api<Page<Definition>>(
        projectPath(projectId, `property_definitions/?type=${type}&limit=${LIST_LIMIT}`),
      ),
    enabled: type !== "element",
    staleTime: 60_000,
  });
  if (type === "element") return ELEMENT_KEYS;
  return data?.results.map((d) => d.name) ?? [];
}

export function usePropertyValues(
  projectId: number,
  type: FilterType,
  key: string,
  enabled: boolean,
): string[] {
  const column = type === "person" ? `person.properties.${key}` : `properties.${key}`;
  const { data } = useQuery({
    queryKey: ["property-values", projectId, type, key],
    queryFn: ({ signal }) =>
      runQuery<QueryResponse<[unknown, number]>>(
        projectId,
        {
          kind: "EventsQuery",
          select: [column, "count()"],
          properties: [{ key, type, operator: "is_set" }],
          after: "-30d",
          orderBy: ["count() DESC"],
          limit: VALUE_LIMIT,
        },
        signal,
      ),
    enabled: enabled && type !== "element" && key !== "",
    staleTime: 60_000,
  });
  return (data?.results ?? [])
    .map(([value]) => (typeof value === "string" ? value : JSON.stringify(value)))
    .filter((value) => value !== "null");
}
