// At most N queries in flight at once: the server runs 4 queries per project at a time and
// answers more with 429 (docs/api.md), so a screen that asks many (the dashboard's tiles,
// /web's tiles, chart and tables) queues them here and leaves room for the rest of the app.
// Waiting tasks start in the order they were queued; a task whose signal aborts while it
// waits never starts.

export interface Limiter {
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Tasks running now (for tests and the benchmark). */
  readonly active: number;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The query was cancelled.", "AbortError");
}

export function createLimiter(limit: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];

  function next() {
    while (active < limit && waiting.length > 0) waiting.shift()?.();
  }

  function run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const start = () => {
        signal?.removeEventListener("abort", cancel);
        active += 1;
        task()
          .then(resolve, reject)
          .finally(() => {
            active -= 1;
            next();
          });
      };
      const cancel = () => {
        const index = waiting.indexOf(start);
        if (index >= 0) waiting.splice(index, 1);
        reject(abortError(signal as AbortSignal));
      };
      signal?.addEventListener("abort", cancel, { once: true });
      waiting.push(start);
      next();
    });
  }

  return {
    run,
    get active() {
      return active;
    },
  };
}
