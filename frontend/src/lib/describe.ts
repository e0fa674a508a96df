// How events read in lists: the autocapture sentence the guide uses
// ("Clicked button with text 'Purchase'") and labels for PostHog's own event names.

import { attribute, parseElementsChain, type ChainElement } from "./elements";
import type { Properties } from "./types";

const VERBS: Record<string, string> = {
  click: "Clicked",
  change: "Changed",
  submit: "Submitted",
  touch: "Touched",
};

const NOUNS: Record<string, string> = { a: "link", img: "image" };

/** PostHog's display names for its core events; other names show as they are. */
export const EVENT_LABELS: Record<string, string> = {
  $pageview: "Pageview",
  $pageleave: "Pageleave",
  $autocapture: "Autocapture",
  $screen: "Screen",
  $identify: "Identify",
  $create_alias: "Alias",
  $merge_dangerously: "Merge",
  $set: "Set person properties",
  $groupidentify: "Group identify",
  $rageclick: "Rageclick",
  $dead_click: "Dead click",
  $exception: "Exception",
  $web_vitals: "Web vitals",
  $feature_flag_called: "Feature flag called",
  $opt_in: "Opt in",
};

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/** `Clicked button with text 'Purchase'`, from `$event_type` and the clicked element. */
export function describeAutocapture(
  properties: Properties,
  elements: ChainElement[],
): string {
  const eventType = text(properties["$event_type"]);
  const verb = (eventType && VERBS[eventType]) ?? "Interacted with";
  const clicked = elements[0];
  const tag = clicked?.tag_name || null;
  const noun = tag ? (NOUNS[tag] ?? tag) : "element";
  const parts = [verb, noun];
  const elementText = text(properties["$el_text"]) ?? text(clicked?.text);
  const ariaLabel = clicked ? text(attribute(clicked, "aria-label")) : null;
  if (elementText) parts.push(`with text '${elementText}'`);
  else if (ariaLabel) parts.push(`with aria label '${ariaLabel}'`);
  return parts.join(" ");
}

/** What the events list shows in its event column. */
export function describeEvent(event: {
  event: string;
  properties: Properties;
  elements_chain?: string | null;
}): string {
  if (event.event === "$autocapture") {
    const chain = event.elements_chain || text(event.properties["$elements_chain"]);
    return describeAutocapture(event.properties, parseElementsChain(chain));
  }
  return EVENT_LABELS[event.event] ?? event.event;
}
