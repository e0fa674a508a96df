// A SQL insight: the query, run when the user asks (not on every keystroke).

import { useState } from "react";

import type { HogQLQuery } from "../../insights/types";

export function SqlControls({ query, onChange }: { query: HogQLQuery; onChange: (q: HogQLQuery) => void }) {
  const [text, setText] = useState(query.query);
  return (
    <form
      className="sql-insight"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ ...query, query: text });
      }}
    >
      <label htmlFor="insight-sql">SQL query</label>
      <textarea id="insight-sql" className="mono" rows={8} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      <button type="submit" disabled={text === query.query}>
        Run
      </button>
    </form>
  );
}
