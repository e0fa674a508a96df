import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";

/** Typing settles for this long before the search goes to the URL (and the server). */
export const SEARCH_DELAY_MS = 300;

/**
 * A search box whose settled term lives in the URL (`?search=`): `draft` is what is typed,
 * `search` what the URL holds (and the list asks the server for); `submit` skips the wait.
 */
export function useUrlSearch(): {
  draft: string;
  setDraft: (value: string) => void;
  search: string;
  submit: () => void;
} {
  const [params, setParams] = useSearchParams();
  const search = params.get("search")?.trim() ?? "";
  const [draft, setDraft] = useState(search);
  const [urlSearch, setUrlSearch] = useState(search);
  if (search !== urlSearch) {
    // The address changed (back, a link): show its search, unless it is what was typed.
    setUrlSearch(search);
    if (draft.trim() !== search) setDraft(search);
  }

  useEffect(() => {
    const term = draft.trim();
    if (term === search) return;
    const timer = window.setTimeout(
      () => setParams(term ? { search: term } : {}, { replace: true }),
      SEARCH_DELAY_MS,
    );
    return () => window.clearTimeout(timer);
  }, [draft, search, setParams]);

  function submit() {
    const term = draft.trim();
    setParams(term ? { search: term } : {}, { replace: true });
  }

  return { draft, setDraft, search, submit };
}
