import { describe, expect, it } from "vitest";

import type { SqlCatalog } from "./catalog";
import { completeSql, tablesInQuery } from "./completion";

const catalog: SqlCatalog = {
  tables: [
    {
      name: "events",
      columns: [
        { name: "event", type: "LowCardinality(String)", properties: null },
        { name: "timestamp", type: "DateTime64(6, 'UTC')", properties: null },
        { name: "properties", type: "String", properties: "event" },
        { name: "person_id", type: "UUID", properties: null },
        { name: "person.id", type: "UUID", properties: null },
        { name: "person.properties", type: "String", properties: "person" },
      ],
    },
    {
      name: "persons",
      columns: [
        { name: "id", type: "UUID", properties: null },
        { name: "properties", type: "String", properties: "person" },
      ],
    },
    {
      name: "person_distinct_ids",
      columns: [{ name: "distinct_id", type: "String", properties: null }],
    },
  ],
  functions: ["count", "toStartOfDay"],
  propertyKeys: { event: ["$browser", "planId", "my key"], person: ["email"] },
};

function labels(text: string, pos = text.length): string[] | null {
  return completeSql(text, pos, catalog)?.options.map((o) => o.label) ?? null;
}

describe("completeSql", () => {
  it("offers tables, the read table's columns and functions at the top level", () => {
    const found = completeSql("SELECT ev", 9, catalog);
    expect(found?.from).toBe(7);
    expect(found?.afterDot).toBe(false);
    const names = found?.options.map((o) => o.label);
    expect(names).toEqual(expect.arrayContaining(["events", "persons", "event", "count"]));
  });

  it("offers the columns of the tables in FROM", () => {
    const names = labels("SELECT  FROM persons", 7);
    expect(names).toContain("id");
    expect(names).not.toContain("event");
  });

  it("offers event property keys after properties.", () => {
    const found = completeSql("SELECT properties.pl", 20, catalog);
    expect(found?.from).toBe(18);
    expect(found?.afterDot).toBe(true);
    expect(found?.options.map((o) => o.label)).toEqual(["$browser", "planId", "my key"]);
    expect(found?.options.find((o) => o.label === "my key")?.apply).toBe("`my key`");
    expect(found?.options.find((o) => o.label === "$browser")?.apply).toBeUndefined();
  });

  it("offers person property keys after person.properties. and on the persons table", () => {
    expect(labels("SELECT person.properties.")).toEqual(["email"]);
    expect(labels("SELECT properties. FROM persons", 18)).toEqual(["email"]);
    expect(labels("SELECT p.properties.em FROM persons p", 22)).toEqual(["email"]);
  });

  it("offers the person fields of an event after person.", () => {
    expect(labels("SELECT person.")).toEqual(["id", "properties"]);
  });

  it("resolves table aliases", () => {
    const text = "SELECT e. FROM events AS e JOIN persons p ON e.person_id = p.id";
    expect(labels(text, 9)).toEqual([
      "event",
      "timestamp",
      "properties",
      "person_id",
      "person.id",
      "person.properties",
    ]);
    expect(labels("SELECT p. FROM events e JOIN persons p ON e.person_id = p.id", 9)).toEqual([
      "id",
      "properties",
    ]);
  });

  it("offers nothing after a plain column or inside a number", () => {
    expect(completeSql("SELECT event.", 13, catalog)).toBeNull();
    expect(completeSql("SELECT 1.5", 10, catalog)).toBeNull();
  });
});

describe("tablesInQuery", () => {
  it("maps aliases and names, skipping keywords", () => {
    const found = tablesInQuery("SELECT 1 FROM events WHERE 1 JOIN persons AS p ON 1", catalog.tables);
    expect([...found.keys()]).toEqual(["events", "persons", "p"]);
  });
});
