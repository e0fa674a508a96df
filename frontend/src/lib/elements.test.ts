import { describe, expect, it } from "vitest";

import { attribute, parseElementsChain } from "./elements";

describe("parseElementsChain", () => {
  it("reads tags, classes, texts, links, positions and attributes, clicked element first", () => {
    const chain =
      'a.nav.big:attr__class="nav big"attr__href="/pricing"attr__id="p"attr_id="p"href="/pricing"nth-child="2"nth-of-type="1"text="Pricing";' +
      'body:nth-child="2"nth-of-type="1"';
    const [link, body] = parseElementsChain(chain);
    expect(link).toEqual({
      tag_name: "a",
      classes: ["nav", "big"],
      text: "Pricing",
      href: "/pricing",
      attr_id: "p",
      nth_child: 2,
      nth_of_type: 1,
      attributes: [
        ["class", "nav big"],
        ["href", "/pricing"],
        ["id", "p"],
      ],
    });
    expect(body?.tag_name).toBe("body");
    expect(body?.text).toBeNull();
  });

  it("keeps ';' and ':' inside quoted values and unescapes quotes", () => {
    const chain = 'button:attr__title="a;b:c \\"d\\""text="Say \\"hi\\"; now";div:nth-child="1"';
    const elements = parseElementsChain(chain);
    expect(elements).toHaveLength(2);
    expect(elements[0]?.text).toBe('Say "hi"; now');
    expect(attribute(elements[0]!, "title")).toBe('a;b:c "d"');
    expect(elements[1]?.tag_name).toBe("div");
  });

  it("answers no elements for an empty chain", () => {
    expect(parseElementsChain("")).toEqual([]);
    expect(parseElementsChain(null)).toEqual([]);
  });
});
