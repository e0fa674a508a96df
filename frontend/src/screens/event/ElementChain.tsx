import type { ChainElement } from "../../lib/elements";

const SKIPPED_ATTRIBUTES = new Set(["style", "value"]);

function OpeningTag({ element }: { element: ChainElement }) {
  const attributes = element.attributes.filter(([name]) => !SKIPPED_ATTRIBUTES.has(name));
  return (
    <span className="tag">
      {"<"}
      <span className="tag-name">{element.tag_name || "element"}</span>
      {attributes.map(([name, value]) => (
        <span key={name}>
          {" "}
          <span className="attr-name">{name}</span>=<span className="attr-value">&quot;{value}&quot;</span>
        </span>
      ))}
      {">"}
    </span>
  );
}

/** The clicked element inside its ancestors, outermost first, as nested HTML. */
export function ElementChain({ elements }: { elements: ChainElement[] }) {
  const outermostFirst = [...elements].reverse();
  const depth = outermostFirst.length - 1;
  return (
    <div className="element-chain" role="group" aria-label="Element chain, outermost first">
      {outermostFirst.map((element, level) => {
        const clicked = level === depth;
        return (
          <div
            key={level}
            className={clicked ? "chain-line clicked" : "chain-line"}
            style={{ paddingLeft: `${level * 1.25}rem` }}
          >
            <OpeningTag element={element} />
            {element.text && <span className="element-text">{element.text}</span>}
            {clicked && <span className="tag">{`</${element.tag_name || "element"}>`}</span>}
          </div>
        );
      })}
      {outermostFirst
        .slice(0, depth)
        .reverse()
        .map((element, index) => (
          <div
            key={`close-${index}`}
            className="chain-line"
            style={{ paddingLeft: `${(depth - 1 - index) * 1.25}rem` }}
          >
            <span className="tag">{`</${element.tag_name || "element"}>`}</span>
          </div>
        ))}
    </div>
  );
}
