// The CodeMirror pieces of the SQL editor: the HogQL dialect for highlighting (ClickHouse's
// words, backquoted and double-quoted names, backslash escapes in strings), keyword
// completion from lang-sql, and our completion of names (completion.ts).

import type { Completion, CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { sql, SQLDialect } from "@codemirror/lang-sql";
import { syntaxTree } from "@codemirror/language";
import type { Extension } from "@codemirror/state";

import type { SqlCatalog } from "./catalog";
import { completeSql } from "./completion";

const KEYWORDS = `select distinct from join left right inner full outer cross any all semi anti
asof on using where group by having order asc desc nulls first last limit offset union with as
and or not like ilike in between is case when then else end cast interval true false null
second minute hour day week month quarter year`.replace(/\s+/g, " ");

const TYPES = `string int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 bool
boolean date date32 datetime datetime64 uuid decimal nullable array lowcardinality`.replace(
  /\s+/g,
  " ",
);

export const hogqlDialect = SQLDialect.define({
  keywords: KEYWORDS,
  types: TYPES,
  identifierQuotes: '`"',
  backslashEscapes: true,
  caseInsensitiveIdentifiers: false,
});

const SKIPPED_NODES = new Set(["String", "LineComment", "BlockComment", "QuotedIdentifier"]);
const BOOST = { property: 3, column: 2, table: 1, function: 0 } as const;

/** Completion of tables, columns, property keys and functions from `catalog()`. */
export function nameCompletion(catalog: () => SqlCatalog) {
  return (context: CompletionContext): CompletionResult | null => {
    const node = syntaxTree(context.state).resolveInner(context.pos, -1);
    if (SKIPPED_NODES.has(node.name)) return null;
    const text = context.state.doc.toString();
    const found = completeSql(text, context.pos, catalog());
    if (!found) return null;
    if (found.from === context.pos && !found.afterDot && !context.explicit) return null;
    const options: Completion[] = found.options.map((option) => ({
      label: option.label,
      apply: option.apply,
      detail: option.detail,
      type: option.kind === "property" ? "property" : option.kind === "table" ? "class" : option.kind === "column" ? "variable" : "function",
      boost: BOOST[option.kind] + (option.boost ?? 0),
    }));
    return { from: found.from, options, validFor: /^[A-Za-z0-9_$]*$/ };
  };
}

/** HogQL highlighting, keyword completion (upper case) and name completion. */
export function hogqlLanguage(catalog: () => SqlCatalog): Extension {
  return [
    sql({ dialect: hogqlDialect, upperCaseKeywords: true }),
    hogqlDialect.language.data.of({ autocomplete: nameCompletion(catalog) }),
  ];
}
