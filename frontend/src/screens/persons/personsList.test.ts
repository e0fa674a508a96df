import { describe, expect, it } from "vitest";

import type { Person } from "../../lib/types";
import { emptyText, listEndText, nextOffset, personPagePath, personRow, personsPath } from "./personsList";

const person: Person = {
  id: "0190a1b2-0c3d-7e4f-8a9b-0c1d2e3f4a5b",
  distinct_ids: ["anon-1", "ada"],
  properties: { name: "Ada" },
  is_identified: true,
  created_at: "2026-01-01T00:00:00Z",
  last_seen_at: null,
};

describe("the persons list", () => {
  it("asks for a page with the search", () => {
    expect(personsPath("", 0)).toBe("persons/?limit=100&offset=0");
    expect(personsPath("a&b c", 200)).toBe("persons/?limit=100&offset=200&search=a%26b+c");
  });

  it("follows pages until the server says there are none", () => {
    const page = { results: [person, person], next: "http://x/api/projects/1/persons/?offset=2" };
    expect(nextOffset(page, 100)).toBe(102);
    expect(nextOffset({ ...page, next: null }, 100)).toBeUndefined();
  });

  it("shows the display name and the first distinct id", () => {
    expect(personRow(person)).toEqual({
      id: person.id,
      name: "Ada",
      distinctId: "anon-1",
      createdAt: "2026-01-01T00:00:00Z",
      lastSeenAt: null,
    });
    expect(personRow({ ...person, properties: { email: "ada@example.com" } }).name).toBe(
      "ada@example.com",
    );
    expect(personRow({ ...person, properties: {} }).name).toBe("anon-1");
  });

  it("links to a person page, encoding distinct ids", () => {
    expect(personPagePath("a b/c")).toBe("/persons/a%20b%2Fc");
  });

  it("counts what is shown", () => {
    expect(listEndText(1, false)).toBe("1 person.");
    expect(listEndText(3, false)).toBe("All 3 persons are shown.");
    expect(listEndText(100, true)).toBe("Showing the newest 100 persons.");
  });

  it("says whether nothing exists or nothing matches", () => {
    expect(emptyText("")).toMatch(/^No persons yet/);
    expect(emptyText("zed")).toMatch(/^No persons match “zed”/);
  });
});
