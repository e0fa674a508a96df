import type { Topology } from "topojson-specification";
import { describe, expect, it } from "vitest";
import countries110m from "world-atlas/countries-110m.json";

import { worldFeatures } from "./worldFeatures";

describe("the world's countries", () => {
  it("are named by their ISO alpha-2 code, without Antarctica", () => {
    const world = worldFeatures(countries110m as unknown as Topology);
    const codes = world.features.map((f) => f.properties.name);
    for (const code of ["US", "FR", "DE", "BR", "JP", "IN", "GB", "AU", "ZA"]) expect(codes).toContain(code);
    expect(codes).not.toContain("AQ");
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.length).toBeGreaterThan(150);
  });
});
