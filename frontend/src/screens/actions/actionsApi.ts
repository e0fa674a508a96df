// The actions API the screens use (docs/queries.md#actions): the list, one action, save,
// delete, and the editor's preview of unsaved steps.

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api, projectPath } from "../../lib/api";
import type { Page, StoredEvent } from "../../lib/types";
import { stepBody, type Action, type ActionDraft, type ActionStep } from "./steps";

/** How long the steps must stay unchanged before the preview asks again. */
export const PREVIEW_DEBOUNCE_MS = 400;

export interface ActionPreview {
  count: number;
  results: StoredEvent[];
}

export function actionsKey(projectId: number): unknown[] {
  return ["actions", projectId];
}

export function useActionList(projectId: number) {
  return useQuery({
    queryKey: actionsKey(projectId),
    queryFn: ({ signal }) => api<Page<Action>>(projectPath(projectId, "actions/"), { signal }),
  });
}

export function useAction(projectId: number, id: string | null) {
  return useQuery({
    queryKey: [...actionsKey(projectId), id],
    queryFn: ({ signal }) =>
      api<Action>(projectPath(projectId, `actions/${encodeURIComponent(id ?? "")}/`), { signal }),
    enabled: id !== null,
    staleTime: Infinity, // the editor's baseline: refetching it would move "No changes"
  });
}

export function saveAction(projectId: number, id: number | null, body: ActionDraft): Promise<Action> {
  return id === null
    ? api<Action>(projectPath(projectId, "actions/"), { method: "POST", body })
    : api<Action>(projectPath(projectId, `actions/${id}/`), { method: "PATCH", body });
}

export function deleteAction(projectId: number, id: number): Promise<void> {
  return api<void>(projectPath(projectId, `actions/${id}/`), { method: "DELETE" });
}

function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), delayMs);
    return () => window.clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}

/**
 * What the steps being edited matched in the last 30 days. Asked again once the steps have
 * not changed for PREVIEW_DEBOUNCE_MS; a request for steps that changed since is aborted
 * (TanStack Query aborts the signal of a query nobody watches any more), and the last answer
 * stays on screen meanwhile.
 */
export function usePreview(projectId: number, steps: ActionStep[]) {
  const body = JSON.stringify(steps.map(stepBody));
  const settled = useDebounced(body, PREVIEW_DEBOUNCE_MS);
  const query = useQuery({
    queryKey: ["action-preview", projectId, settled],
    queryFn: ({ signal }) =>
      api<ActionPreview>(projectPath(projectId, "actions/preview/"), {
        method: "POST",
        body: { steps: JSON.parse(settled) as ActionStep[] },
        signal,
      }),
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 30_000,
  });
  return { ...query, pending: settled !== body || query.isFetching };
}
