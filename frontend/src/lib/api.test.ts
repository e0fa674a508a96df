import { describe, expect, it, vi } from "vitest";

import { api, ApiError, readCookie, safeNext, signInPath, signOutOfSession } from "./api";

describe("the sign-in round trip", () => {
  it("sends the user back where they were", () => {
    expect(signInPath({ pathname: "/events", search: "?event=a%20b" })).toBe(
      "/login?next=%2Fevents%3Fevent%3Da%2520b",
    );
  });

  it("follows only paths of this site", () => {
    expect(safeNext("/events?x=1")).toBe("/events?x=1");
    expect(safeNext(null)).toBe("/");
    expect(safeNext("https://evil.example/")).toBe("/");
    expect(safeNext("//evil.example/")).toBe("/");
    expect(safeNext("/\\evil.example/")).toBe("/");
    expect(safeNext("javascript:alert(1)")).toBe("/");
  });
});

describe("readCookie", () => {
  it("finds the CSRF token among other cookies", () => {
    expect(readCookie("a=1; hedgerow_csrftoken=abc%3D; b=2", "hedgerow_csrftoken")).toBe("abc=");
    expect(readCookie("a=1", "hedgerow_csrftoken")).toBeNull();
  });
});

describe("signing out", () => {
  it("stops 401 answers of requests still in flight from sending the page back to sign-in", async () => {
    const assign = vi.fn();
    vi.stubGlobal("window", { location: { assign, pathname: "/events", search: "" } });
    vi.stubGlobal("document", { cookie: "hedgerow_csrftoken=t" });
    const answer = (status: number) =>
      new Response(status === 200 ? "{}" : '{"code":"not_authenticated","error":"no"}', {
        status,
      });
    vi.stubGlobal(
      "fetch",
      vi.fn((path: string) => Promise.resolve(answer(path === "/api/logout/" ? 200 : 401))),
    );
    try {
      await expect(api("/api/users/@me/")).rejects.toBeInstanceOf(ApiError);
      expect(assign).toHaveBeenCalledWith("/login?next=%2Fevents");
      assign.mockClear();

      await signOutOfSession();
      await expect(api("/api/projects/1/query/")).rejects.toBeInstanceOf(ApiError);
      expect(assign).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
