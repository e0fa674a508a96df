// Code loaded on demand without a Suspense boundary. React holds the content of a boundary
// whose fallback showed back for 300 ms (its reveal throttle), even when the code arrived
// long before; a screen whose data is already here (the dashboard) would wait for nothing.
// This loads once, tells each component when it is there, and says when it failed.

import { useEffect, useState } from "react";

export type Loaded<T> = { status: "loading" } | { status: "ready"; value: T } | { status: "failed"; error: Error };

export interface ModuleLoader<T> {
  /** Start loading (once); later calls return the same promise. */
  preload: () => Promise<T>;
  /** The loaded value in a component: "loading" until it is there, then "ready". */
  useLoaded: () => Loaded<T>;
}

export function moduleLoader<T>(load: () => Promise<T>): ModuleLoader<T> {
  let promise: Promise<T> | null = null;
  let settled: Loaded<T> = { status: "loading" };

  function preload(): Promise<T> {
    promise ??= load().then(
      (value) => {
        settled = { status: "ready", value };
        return value;
      },
      (error: unknown) => {
        settled = { status: "failed", error: error instanceof Error ? error : new Error(String(error)) };
        promise = null; // a later mount tries again
        throw error;
      },
    );
    return promise;
  }

  function useLoaded(): Loaded<T> {
    const [state, setState] = useState<Loaded<T>>(() => settled);
    useEffect(() => {
      if (state.status !== "loading") return;
      let live = true;
      preload().then(
        () => live && setState(settled),
        () => live && setState(settled),
      );
      return () => {
        live = false;
      };
    }, [state.status]);
    return state;
  }

  return { preload, useLoaded };
}
