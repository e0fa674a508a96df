// An action's steps ("match groups") as the editor holds them, and as the API takes them
// (docs/queries.md#actions): the step kind, defaults, the body sent, and a one-line summary.

import type { PropertyFilter } from "../../lib/types";

export type Matching = "exact" | "contains" | "regex";
export type StepKind = "pageview" | "autocapture" | "other";
export type TextField = "text" | "href" | "url" | "selector" | "tag_name";

/** A step: every field optional and nullable, as the API stores it. */
export interface ActionStep {
  event?: string | null;
  properties?: PropertyFilter[] | Record<string, unknown> | null;
  selector?: string | null;
  tag_name?: string | null;
  text?: string | null;
  text_matching?: Matching | null;
  href?: string | null;
  href_matching?: Matching | null;
  url?: string | null;
  url_matching?: Matching | null;
}

export interface Action {
  id: number;
  name: string;
  description: string;
  steps: ActionStep[];
  created_at: string;
  updated_at: string;
  deleted: boolean;
}

/** What a field's matching is when it is not set (the server's defaults). */
export const DEFAULT_MATCHING: Record<"text" | "href" | "url", Matching> = {
  text: "exact",
  href: "exact",
  url: "contains",
};

export const MATCHING_LABELS: Record<Matching, string> = {
  exact: "matches exactly",
  regex: "matches regex",
  contains: "contains",
};

const AUTOCAPTURE_ONLY = ["selector", "tag_name", "text", "text_matching", "href", "href_matching"] as const;

export function stepKind(step: ActionStep): StepKind {
  if (step.event === "$pageview") return "pageview";
  if (step.event === "$autocapture") return "autocapture";
  return "other";
}

/** The step switched to another kind: fields the new kind has no input for are cleared. */
export function withKind(step: ActionStep, kind: StepKind): ActionStep {
  if (kind === stepKind(step)) return step;
  const next: ActionStep = { ...step };
  if (kind !== "autocapture") for (const field of AUTOCAPTURE_ONLY) delete next[field];
  if (kind === "other") {
    delete next.url;
    delete next.url_matching;
  }
  next.event = kind === "pageview" ? "$pageview" : kind === "autocapture" ? "$autocapture" : null;
  return next;
}

/** The step "Add match group" adds. */
export function newStep(): ActionStep {
  return { event: "$pageview", url: "", url_matching: "contains", properties: [] };
}

function filled(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

/** The step as sent to the API: empty inputs as null, unset matchings at their defaults, only
 * the fields of its kind, and property filters without a property name left out. */
export function stepBody(step: ActionStep): ActionStep {
  const kind = stepKind(step);
  const body: ActionStep = { event: filled(step.event) };
  if (kind === "autocapture") {
    body.selector = filled(step.selector);
    body.tag_name = filled(step.tag_name);
    body.text = filled(step.text);
    body.text_matching = body.text === null ? null : (step.text_matching ?? DEFAULT_MATCHING.text);
    body.href = filled(step.href);
    body.href_matching = body.href === null ? null : (step.href_matching ?? DEFAULT_MATCHING.href);
  }
  if (kind !== "other") {
    body.url = filled(step.url);
    body.url_matching = body.url === null ? null : (step.url_matching ?? DEFAULT_MATCHING.url);
  } else if (filled(step.url) !== null) {
    // Saved through the API with a URL: kept, though this kind has no input for it.
    body.url = step.url;
    body.url_matching = step.url_matching ?? DEFAULT_MATCHING.url;
  }
  const properties = step.properties;
  body.properties = Array.isArray(properties)
    ? properties.filter((f) => f.key.trim() !== "")
    : (properties ?? []);
  return body;
}

export interface ActionDraft {
  name: string;
  description: string;
  steps: ActionStep[];
}

/** The body of POST/PATCH actions/ (and of the preview). */
export function actionBody(draft: ActionDraft): ActionDraft {
  return {
    name: draft.name.trim(),
    description: draft.description,
    steps: draft.steps.map(stepBody),
  };
}

/** Whether the draft says what the saved action says (the Save button reads "No changes"). */
export function unchanged(draft: ActionDraft, saved: ActionDraft): boolean {
  return JSON.stringify(actionBody(draft)) === JSON.stringify(actionBody(saved));
}

const EVENT_NAMES: Record<string, string> = { $pageview: "Pageview", $autocapture: "Autocapture" };
const FIELD_NAMES: Record<string, string> = { text: "text", href: "link", url: "URL" };
const MATCHING_WORDS: Record<Matching, string> = { exact: "is", contains: "contains", regex: "matches" };

/** One step in a line: `Autocapture where text is "Purchase"`, `Plan purchased`. */
export function describeStep(step: ActionStep): string {
  const event = step.event ? (EVENT_NAMES[step.event] ?? step.event) : "All events";
  const conditions: string[] = [];
  if (step.selector) conditions.push(`element matches ${step.selector}`);
  if (step.tag_name) conditions.push(`tag is ${step.tag_name}`);
  for (const field of ["text", "href", "url"] as const) {
    const value = step[field];
    if (value === null || value === undefined || value === "") continue;
    const matching = step[`${field}_matching`] ?? DEFAULT_MATCHING[field];
    conditions.push(`${FIELD_NAMES[field]} ${MATCHING_WORDS[matching]} "${value}"`);
  }
  const filters = Array.isArray(step.properties) ? step.properties.length : step.properties ? 1 : 0;
  if (filters) conditions.push(filters === 1 ? "1 filter" : `${filters} filters`);
  return conditions.length ? `${event} where ${conditions.join(" and ")}` : event;
}

/** All steps in a line, ORed. */
export function describeSteps(steps: ActionStep[]): string {
  return steps.length ? steps.map(describeStep).join(" OR ") : "No match groups: matches nothing";
}
