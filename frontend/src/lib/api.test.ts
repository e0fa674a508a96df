import { describe, expect, it } from "vitest";

import { readCookie, safeNext, signInPath } from "./api";

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
