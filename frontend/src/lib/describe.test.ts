import { describe, expect, it } from "vitest";

import { describeAutocapture, describeEvent } from "./describe";
import { parseElementsChain } from "./elements";

const BUTTON = 'button.btn.primary:attr__class="btn primary"attr__id="buy"nth-child="1"nth-of-type="1"text="Purchase"';
const MAIN = 'main:attr__id="main"nth-child="1"nth-of-type="1"';

function autocapture(eventType: string | undefined, chain: string, extra: object = {}) {
  const properties = { ...(eventType ? { $event_type: eventType } : {}), ...extra };
  return describeEvent({ event: "$autocapture", properties, elements_chain: chain });
}

describe("the autocapture sentence", () => {
  it("names a clicked button by its text", () => {
    expect(autocapture("click", `${BUTTON};${MAIN}`)).toBe("Clicked button with text 'Purchase'");
  });

  it("calls an <a> a link", () => {
    const link = 'a:attr__href="/pricing"href="/pricing"nth-child="2"nth-of-type="1"text="Pricing"';
    expect(autocapture("click", `${link};${MAIN}`)).toBe("Clicked link with text 'Pricing'");
  });

  it("says Submitted form and Changed input without text", () => {
    expect(autocapture("submit", `form:attr__id="signup"nth-child="7"nth-of-type="1";${MAIN}`)).toBe(
      "Submitted form",
    );
    expect(autocapture("change", `input:attr__name="email"nth-child="1"nth-of-type="1";${MAIN}`)).toBe(
      "Changed input",
    );
  });

  it("prefers $el_text over the element's own text", () => {
    expect(autocapture("click", BUTTON, { $el_text: "Buy now" })).toBe(
      "Clicked button with text 'Buy now'",
    );
  });

  it("falls back to the aria label, then to the noun alone", () => {
    const icon = 'button:attr__aria-label="Close dialog"nth-child="1"nth-of-type="1"';
    expect(autocapture("click", icon)).toBe("Clicked button with aria label 'Close dialog'");
    expect(autocapture("click", 'img:nth-child="1"nth-of-type="1"')).toBe("Clicked image");
  });

  it("says Interacted with for unknown event types and element for a missing chain", () => {
    expect(autocapture(undefined, BUTTON)).toBe("Interacted with button with text 'Purchase'");
    expect(autocapture("click", "")).toBe("Clicked element");
  });

  it("reads the chain from $elements_chain when the column is empty", () => {
    const event = {
      event: "$autocapture",
      properties: { $event_type: "click", $elements_chain: BUTTON },
      elements_chain: "",
    };
    expect(describeEvent(event)).toBe("Clicked button with text 'Purchase'");
  });

  it("keeps quotes and markup in texts as they are", () => {
    const hostile = 'button:text="<img src=x onerror=\\"alert(1)\\">"';
    expect(describeAutocapture({ $event_type: "click" }, parseElementsChain(hostile))).toBe(
      `Clicked button with text '<img src=x onerror="alert(1)">'`,
    );
  });
});

describe("other events", () => {
  it("show PostHog's label for core events and other names as they are", () => {
    expect(describeEvent({ event: "$pageview", properties: {} })).toBe("Pageview");
    expect(describeEvent({ event: "Plan purchased", properties: {} })).toBe("Plan purchased");
  });
});
