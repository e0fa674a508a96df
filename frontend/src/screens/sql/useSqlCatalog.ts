// The names the editor completes: the server's SQL schema and the project's property keys.

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";

import { api, projectPath } from "../../lib/api";
import { usePropertyNames } from "../../components/suggestions";
import { EMPTY_CATALOG, type SqlCatalog, type SqlSchema } from "./catalog";

export function useSqlCatalog(projectId: number): SqlCatalog {
  const schema = useQuery({
    queryKey: ["sql-schema", projectId],
    queryFn: ({ signal }) => api<SqlSchema>(projectPath(projectId, "sql/schema/"), { signal }),
    staleTime: Infinity,
  });
  const eventKeys = usePropertyNames(projectId, "event");
  const personKeys = usePropertyNames(projectId, "person");
  return useMemo(
    () => ({
      ...(schema.data ?? EMPTY_CATALOG),
      propertyKeys: { event: eventKeys, person: personKeys },
    }),
    [schema.data, eventKeys, personKeys],
  );
}
