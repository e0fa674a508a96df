// Natural Earth's countries (world-atlas TopoJSON, keyed by ISO 3166-1 numeric codes) as
// GeoJSON features named by their alpha-2 code, the code `$geoip_country_code` holds.

import type { Feature, FeatureCollection, Geometry } from "geojson";
import { iso31661 } from "iso-3166";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

const ANTARCTICA = "010";

const alpha2ByNumeric = new Map(iso31661.map((c) => [c.numeric, c.alpha2]));

/** The countries with an ISO code, each named by it; Antarctica is left out (no visitors, much space). */
export function worldFeatures(topology: Topology): FeatureCollection<Geometry, { name: string }> {
  const collection = feature(topology, topology.objects.countries as GeometryCollection);
  const features: Feature<Geometry, { name: string }>[] = [];
  for (const country of collection.features) {
    const numeric = String(country.id ?? "").padStart(3, "0");
    const code = alpha2ByNumeric.get(numeric);
    if (!code || numeric === ANTARCTICA) continue;
    features.push({ type: "Feature", geometry: country.geometry, properties: { name: code } });
  }
  return { type: "FeatureCollection", features };
}
