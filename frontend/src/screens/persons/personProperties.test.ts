import { describe, expect, it } from "vitest";

import { humanizeKey, looksLikePersonId, propertyLabel } from "./personProperties";

describe("person property labels", () => {
  const properties = {
    $browser: "Firefox",
    $initial_browser: "Chrome",
    $initial_referring_domain: "$direct",
    utm_source: "news",
    $initial_utm_source: "ads",
    $os: "Linux",
    plan: "pro",
  };

  it("names initial values and the latest ones beside them", () => {
    expect(propertyLabel("$initial_browser", properties)).toBe("Initial browser");
    expect(propertyLabel("$browser", properties)).toBe("Latest browser");
    expect(propertyLabel("$initial_referring_domain", properties)).toBe("Initial referring domain");
    expect(propertyLabel("$initial_utm_source", properties)).toBe("Initial UTM source");
    expect(propertyLabel("utm_source", properties)).toBe("Latest UTM source");
  });

  it("leaves keys without an initial twin alone", () => {
    expect(propertyLabel("$os", properties)).toBeNull();
    expect(propertyLabel("plan", properties)).toBeNull();
    expect(propertyLabel("$initial_", properties)).toBeNull();
  });

  it("writes acronyms as such", () => {
    expect(humanizeKey("current_url")).toBe("current URL");
    expect(humanizeKey("geoip_city_name")).toBe("GeoIP city name");
    expect(humanizeKey("os_version")).toBe("OS version");
  });
});

describe("person ids", () => {
  it("tells UUIDs from distinct ids", () => {
    expect(looksLikePersonId("0190a1b2-0c3d-7e4f-8a9b-0c1d2e3f4a5b")).toBe(true);
    expect(looksLikePersonId("ada@example.com")).toBe(false);
    expect(looksLikePersonId("0190a1b2-0c3d-7e4f-8a9b-0c1d2e3f4a5b-x")).toBe(false);
  });
});
