import { describe, expect, it } from "vitest";

import { BREAKDOWN_INFO, BREAKDOWNS, CARDS, countryName, filterLabel, rowFilter, valueLabel } from "./breakdowns";

describe("a row's filter (the contract's table)", () => {
  it.each([
    ["Page", "event", "$pathname"],
    ["InitialPage", "session", "$entry_pathname"],
    ["ExitPage", "session", "$end_pathname"],
    ["InitialReferringDomain", "session", "$entry_referring_domain"],
    ["InitialChannelType", "session", "$channel_type"],
    ["InitialUTMSource", "session", "$entry_utm_source"],
    ["InitialUTMMedium", "session", "$entry_utm_medium"],
    ["InitialUTMCampaign", "session", "$entry_utm_campaign"],
    ["DeviceType", "event", "$device_type"],
    ["Browser", "event", "$browser"],
    ["OS", "event", "$os"],
    ["Country", "event", "$geoip_country_code"],
    ["Region", "event", "$geoip_subdivision_1_name"],
    ["City", "event", "$geoip_city_name"],
  ] as const)("%s -> %s %s exact", (breakdown, type, key) => {
    expect(rowFilter(breakdown, "x")).toEqual({ type, key, value: "x" });
  });

  it("a row of no value filters for the property not being set", () => {
    expect(rowFilter("InitialUTMSource", null)).toEqual({ type: "session", key: "$entry_utm_source", value: null });
  });

  it("every breakdown is in exactly one card", () => {
    expect(CARDS.flatMap((card) => card.tabs).sort()).toEqual([...BREAKDOWNS].sort());
  });
});

describe("labels", () => {
  it("names countries from their code, and leaves anything else as it is", () => {
    expect(countryName("FR")).toBe("France");
    expect(countryName("<b>")).toBe("<b>");
    expect(valueLabel("Country", "de")).toBe("Germany (DE)");
    expect(valueLabel("Country", "Narnia")).toBe("Narnia");
    expect(valueLabel("Page", null)).toBe("None");
    expect(valueLabel("InitialReferringDomain", "$direct")).toBe("Direct (no referrer)");
    expect(valueLabel("Page", "$direct")).toBe("$direct");
  });

  it("says what a chip keeps", () => {
    expect(filterLabel({ type: "event", key: "$pathname", values: ["/pricing"] })).toBe("Page is /pricing");
    expect(filterLabel({ type: "event", key: "$pathname", values: ["/a", "/b"] })).toBe("Page is /a or /b");
    expect(filterLabel({ type: "event", key: "$geoip_country_code", values: ["US"] })).toBe(
      "Country is United States (US)",
    );
    expect(filterLabel({ type: "session", key: "$entry_utm_source", values: null })).toBe("UTM source is not set");
    expect(filterLabel({ type: "person", key: "plan", values: ["pro"] })).toBe("plan is pro");
  });

  it("has a tab name, a column and an empty text for every breakdown", () => {
    for (const breakdown of BREAKDOWNS) {
      const info = BREAKDOWN_INFO[breakdown];
      expect(info.tab && info.column && info.empty).toBeTruthy();
    }
  });
});
