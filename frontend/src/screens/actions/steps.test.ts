import { describe, expect, it } from "vitest";

import { locateError } from "./errors";
import { draftFromParams } from "./prefill";
import { actionBody, describeSteps, newStep, stepBody, unchanged, withKind } from "./steps";

describe("steps as the API takes them", () => {
  it("sends empty inputs as null, default matchings, and only the fields of the kind", () => {
    const step = { ...withKind(newStep(), "autocapture"), text: "Purchase", href: "", selector: "" };
    expect(stepBody(step)).toEqual({
      event: "$autocapture",
      selector: null,
      tag_name: null,
      text: "Purchase",
      text_matching: "exact",
      href: null,
      href_matching: null,
      url: null,
      url_matching: null,
      properties: [],
    });
  });

  it("clears what another kind cannot show when the kind changes", () => {
    const clicked = { event: "$autocapture", text: "Add", url: "/cart", url_matching: "exact" as const };
    expect(withKind(clicked, "pageview")).toEqual({ event: "$pageview", url: "/cart", url_matching: "exact" });
    expect(stepBody(withKind(clicked, "other"))).toEqual({ event: null, properties: [] });
  });

  it("leaves out property filters without a property", () => {
    const step = {
      event: "Plan purchased",
      properties: [
        { key: "", operator: "exact" as const, type: "event" as const, value: "" },
        { key: "plan", operator: "exact" as const, type: "event" as const, value: "pro" },
      ],
    };
    expect(stepBody(step).properties).toEqual([step.properties[1]]);
  });

  it("sees no change between a saved action and the same draft with nulls as empty inputs", () => {
    const saved = {
      name: "Bought",
      description: "",
      steps: [{ event: "$autocapture", text: "Purchase", text_matching: null, href: null, url: null }],
    };
    const draft = { ...saved, steps: [{ ...saved.steps[0], href: "", url: "", selector: "" }] };
    expect(unchanged(draft, saved)).toBe(true);
    expect(unchanged({ ...draft, name: "Bought " }, saved)).toBe(true);
    expect(unchanged({ ...draft, steps: [...draft.steps, newStep()] }, saved)).toBe(false);
    expect(actionBody(draft).steps[0]?.text_matching).toBe("exact");
  });

  it("summarizes steps in a line", () => {
    expect(
      describeSteps([
        { event: "$autocapture", text: "Purchase" },
        { event: "$pageview", url: "/pricing", url_matching: "contains" },
        { event: "Plan purchased", properties: [{ key: "plan", operator: "exact", type: "event", value: "pro" }] },
        { event: null },
      ]),
    ).toBe(
      'Autocapture where text is "Purchase" OR Pageview where URL contains "/pricing" OR ' +
        "Plan purchased where 1 filter OR All events",
    );
    expect(describeSteps([])).toBe("No match groups: matches nothing");
  });
});

describe("create action from an event", () => {
  it("fills one autocapture step and suggests the sentence", () => {
    const params = new URLSearchParams({
      event: "$autocapture",
      text: "Purchase",
      tag_name: "button",
      event_type: "click",
      url: "https://shop.example/cart?x=1",
      url_matching: "exact",
    });
    const draft = draftFromParams(params);
    expect(draft?.name).toBe("clicked button with text 'Purchase'");
    expect(stepBody(draft!.steps[0]!)).toMatchObject({
      event: "$autocapture",
      text: "Purchase",
      text_matching: "exact",
      tag_name: "button",
      href: null,
      url: "https://shop.example/cart?x=1",
      url_matching: "exact",
    });
  });

  it("names pageviews by path, other events by name, and filters submits", () => {
    const page = draftFromParams(new URLSearchParams("event=$pageview&url=https://x.io/pricing?a=1"));
    expect(page?.name).toBe("Pageview on /pricing");
    expect(draftFromParams(new URLSearchParams("event=Plan+purchased"))?.name).toBe("Plan purchased event");
    const submit = draftFromParams(new URLSearchParams("event=$autocapture&tag_name=form&event_type=submit"));
    expect(submit?.name).toBe("submitted form");
    expect(submit?.steps[0]?.properties).toEqual([
      { key: "$event_type", operator: "exact", type: "event", value: "submit" },
    ]);
    expect(draftFromParams(new URLSearchParams(""))).toBeNull();
  });
});

describe("API errors placed at their field", () => {
  it("reads the step and field the message starts with", () => {
    expect(locateError("`steps[1].text`: the regex '(' is not valid")).toEqual({
      step: 1,
      field: "text",
      message: "The regex '(' is not valid",
    });
    expect(locateError("`steps[0].url_matching`: Matching is one of exact")).toMatchObject({ step: 0, field: "url" });
    expect(locateError("`name`: An action needs a name.")).toMatchObject({ step: null, field: "name" });
    expect(locateError("Something else.")).toEqual({ step: null, field: null, message: "Something else." });
  });
});
