import { CopyButton } from "./CopyButton";
import { snippets } from "./snippets";

/** How to send events to a project: one article per SDK, with this server's address and
 * the project's token filled in. `headingLevel` fits the page the list is on. */
export function SnippetList({ token, headingLevel }: { token: string; headingLevel: 2 | 3 }) {
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <>
      {snippets(window.location.origin, token).map((snippet) => (
        <article key={snippet.id} className="snippet" aria-labelledby={`snippet-${snippet.id}`}>
          <div className="snippet-title">
            <Heading id={`snippet-${snippet.id}`}>{snippet.title}</Heading>
            <CopyButton text={snippet.code} label={`Copy ${snippet.title}`} />
          </div>
          {snippet.install && <pre className="code">{snippet.install}</pre>}
          <pre className="code" aria-label={`${snippet.title} snippet`}>
            {snippet.code}
          </pre>
        </article>
      ))}
    </>
  );
}
