import { describe, expect, it } from "vitest";

import { createLimiter } from "./limiter";

function deferred() {
  let resolve: (value: string) => void = () => {};
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("createLimiter", () => {
  it("runs at most `limit` tasks at once, the waiting ones in order", async () => {
    const limiter = createLimiter(3);
    const tasks = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const results = tasks.map((task, i) =>
      limiter.run(() => {
        started.push(i);
        return task.promise;
      }),
    );
    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.active).toBe(3);
    tasks[1]?.resolve("b");
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    tasks.forEach((task, i) => task.resolve(String(i)));
    expect(await Promise.all(results)).toEqual(["0", "b", "2", "3", "4"]);
    expect(limiter.active).toBe(0);
  });

  it("never starts a task cancelled while it waits, and a failure frees its place", async () => {
    const limiter = createLimiter(1);
    const first = deferred();
    const started: string[] = [];
    const running = limiter.run(() => {
      started.push("first");
      return first.promise;
    });
    const controller = new AbortController();
    const cancelled = limiter.run(() => {
      started.push("cancelled");
      return Promise.resolve("no");
    }, controller.signal);
    const failing = limiter.run(() => {
      started.push("failing");
      return Promise.reject(new Error("boom"));
    });
    const last = limiter.run(() => {
      started.push("last");
      return Promise.resolve("last");
    });
    controller.abort();
    await expect(cancelled).rejects.toBeDefined();
    first.resolve("first");
    expect(await running).toBe("first");
    await expect(failing).rejects.toThrow("boom");
    expect(await last).toBe("last");
    expect(started).toEqual(["first", "failing", "last"]);
  });
});
