// The world map of the Countries tab: ECharts' map series over Natural Earth's countries,
// each shaded by its visitors; a click on a country filters the page by it. Its code (the
// map series and the geometry, worldGeometry.ts) loads only when the map is first shown.

import { useMemo } from "react";

import { EChart } from "../../insights/EChart";
import { moduleLoader } from "../../lib/moduleLoader";
import { countryVisitors, mapOption } from "./mapOption";
import type { TableResponse } from "./webFormat";

const geometry = moduleLoader(() => import("./worldGeometry"));

interface Props {
  response: TableResponse;
  onCountry: (code: string) => void;
}

export function WorldMap({ response, onCountry }: Props) {
  const loaded = geometry.useLoaded();
  const countries = useMemo(() => countryVisitors(response), [response]);
  const option = useMemo(() => mapOption(countries), [countries]);
  if (loaded.status === "failed") {
    return (
      <p role="alert" className="error">
        Could not load the world map: {loaded.error.message}
      </p>
    );
  }
  if (loaded.status === "loading") return <p className="loading">Loading the map…</p>;
  const count = countries.length;
  return (
    <div className="web-map">
      <EChart
        option={option}
        label={`World map of visitors by country: ${count} ${count === 1 ? "country" : "countries"} shaded`}
        height={280}
        onClick={(click) => {
          const country = countries[click.dataIndex];
          if (country) onCountry(country.code);
        }}
      />
    </div>
  );
}
