// "Create action from this event": /actions/new?event=&text=&href=&tag_name=&event_type=&url=
// &url_matching= (built by screens/event/actionLink.ts) gives the new action's one step and a
// suggested name: the autocapture sentence with a lower-case verb, "Pageview on <path>", or
// "<event> event".

import { describeAutocapture } from "../../lib/describe";
import type { ChainElement } from "../../lib/elements";
import { newStep, type ActionDraft, type ActionStep, type Matching } from "./steps";

const MATCHINGS: Matching[] = ["exact", "contains", "regex"];

function matching(value: string | null): Matching | null {
  return MATCHINGS.find((m) => m === value) ?? null;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

export function suggestedName(step: ActionStep, eventType: string | null): string {
  const event = step.event ?? "";
  if (event === "$autocapture") {
    const clicked: ChainElement = {
      tag_name: step.tag_name ?? "",
      classes: [],
      text: step.text ?? null,
      href: step.href ?? null,
      attr_id: null,
      nth_child: null,
      nth_of_type: null,
      attributes: [],
    };
    const sentence = describeAutocapture(eventType ? { $event_type: eventType } : {}, [clicked]);
    return sentence.charAt(0).toLowerCase() + sentence.slice(1);
  }
  if (event === "$pageview") return step.url ? `Pageview on ${pathOf(step.url)}` : "Pageview";
  return `${event} event`;
}

/** The new action's draft from the address, or null when it names no event. */
export function draftFromParams(params: URLSearchParams): ActionDraft | null {
  const event = params.get("event");
  if (!event) return null;
  const step: ActionStep = { ...newStep(), event, url: params.get("url") ?? "" };
  step.url_matching = matching(params.get("url_matching")) ?? "contains";
  if (event === "$autocapture") {
    step.text = params.get("text") ?? "";
    step.text_matching = "exact";
    step.href = params.get("href") ?? "";
    step.href_matching = "exact";
    step.selector = "";
    const tag = params.get("tag_name");
    if (tag) step.tag_name = tag;
  }
  const eventType = params.get("event_type");
  if (event === "$autocapture" && eventType === "submit") {
    step.properties = [{ key: "$event_type", operator: "exact", type: "event", value: "submit" }];
  }
  return { name: suggestedName(step, eventType), description: "", steps: [step] };
}
