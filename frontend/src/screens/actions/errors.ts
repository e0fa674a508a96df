// Where an API refusal belongs in the editor. A 400 about an action names its field first,
// counted from 0 (docs/queries.md#actions): "`steps[1].text`: the regex '(' is not valid ...".

export interface FormError {
  /** The step (0-based) the error is about, or null for the whole action. */
  step: number | null;
  /** The input it belongs to: "name", "description", "text", "href", "url", "selector",
   * "tag_name", "event", "properties", or null (the step or the form as a whole). */
  field: string | null;
  message: string;
}

const LOCATED = /^`([^`]+)`: (.*)$/s;
const STEP = /^steps\[(\d+)\](?:\.([a-z_]+))?/;

export function locateError(message: string): FormError {
  const located = LOCATED.exec(message);
  if (!located) return { step: null, field: null, message };
  const [, where = "", rest = ""] = located;
  const text = rest.charAt(0).toUpperCase() + rest.slice(1);
  const step = STEP.exec(where);
  if (step) {
    const field = step[2] ? step[2].replace(/_matching$/, "") : null;
    return { step: Number(step[1]), field, message: text };
  }
  if (where === "name" || where === "description") return { step: null, field: where, message: text };
  return { step: null, field: null, message };
}
