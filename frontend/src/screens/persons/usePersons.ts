// The data of the persons screens: pages of the list, and one person by id or distinct id.

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";

import { api, ApiError, projectPath } from "../../lib/api";
import type { Person, PersonPage } from "../../lib/types";
import { looksLikePersonId } from "./personProperties";
import { nextOffset, personsPath } from "./personsList";

/** Persons newest first, matching `search`, a page at a time ("Load more"). */
export function usePersonList(projectId: number, search: string) {
  return useInfiniteQuery({
    queryKey: ["persons", projectId, search],
    queryFn: ({ pageParam, signal }) =>
      api<PersonPage>(projectPath(projectId, personsPath(search, pageParam)), { signal }),
    initialPageParam: 0,
    getNextPageParam: (last, _all, offset) => nextOffset(last, offset),
  });
}

/** The person of a page address: tried as a person id, then as a distinct id; null when
 * neither finds one. */
export function usePerson(projectId: number, idOrDistinctId: string) {
  return useQuery({
    queryKey: ["person-page", projectId, idOrDistinctId],
    queryFn: async ({ signal }): Promise<Person | null> => {
      if (looksLikePersonId(idOrDistinctId)) {
        try {
          const path = `persons/${encodeURIComponent(idOrDistinctId)}/`;
          return await api<Person>(projectPath(projectId, path), { signal });
        } catch (error) {
          if (!(error instanceof ApiError && error.status === 404)) throw error;
        }
      }
      const query = new URLSearchParams({ distinct_id: idOrDistinctId });
      const page = await api<PersonPage>(projectPath(projectId, `persons/?${query}`), { signal });
      return page.results[0] ?? null;
    },
  });
}
