import { describe, expect, it } from "vitest";

import { parseElementsChain } from "../../lib/elements";
import type { StoredEvent } from "../../lib/types";
import { actionFromEventPath } from "./actionLink";

function stored(event: string, properties: StoredEvent["properties"], chain = ""): StoredEvent {
  return {
    uuid: "u",
    event,
    properties,
    timestamp: "2026-11-24T10:00:00.000000Z",
    distinct_id: "d",
    elements_chain: chain,
    created_at: "2026-11-24T10:00:00.000000Z",
    person_id: "p",
  };
}

describe("Create action from this event", () => {
  it("fills a step from the clicked element and the page", () => {
    const chain = 'button:nth-child="1"text="Purchase";body:nth-child="2"';
    const props = { $current_url: "https://shop.example/cart?x=1", $event_type: "click" };
    const event = stored("$autocapture", props, chain);
    const path = actionFromEventPath(event, parseElementsChain(chain));
    const params = new URLSearchParams(path.split("?")[1]);
    expect(path.startsWith("/actions/new?")).toBe(true);
    expect(Object.fromEntries(params)).toEqual({
      event: "$autocapture",
      text: "Purchase",
      tag_name: "button",
      event_type: "click",
      url: "https://shop.example/cart?x=1",
      url_matching: "exact",
    });
  });

  it("takes only the name of a custom event", () => {
    expect(actionFromEventPath(stored("Plan purchased", { price: 1 }), [])).toBe(
      "/actions/new?event=Plan+purchased",
    );
  });
});
