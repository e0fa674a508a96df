"""Regular expressions (RE2, as ClickHouse's `match` runs them) over `$elements_chain`.

The chain lists the clicked element first, then its ancestors, joined by `;`; each element is
`tag(.class)*:key="value"key="value"...` with classes and keys sorted and `"` inside values
escaped as `\\"` (see ../capture/elements.py). So inside a chain `="` only ever opens a
value, and a pair `key="` is always preceded by `:` or by the closing quote of the pair
before it: `[:"]text="Purchase"` finds an element whose text is exactly `Purchase`, in any
element of the chain.

A CSS selector (`button.buy`, `#checkout > a[href="/pay"]`, `form .cta`) matches when some
element of the chain matches its last part and that element's ancestors match the parts
before it (`>`: the direct parent; a space: any ancestor). All conditions of one part are
checked inside one element. Supported: tag, `*`, `#id`, `.class`, `[attr]` and
`[attr="value"]`, descendant and child combinators.
"""

from __future__ import annotations

import re

from hedgerow.errors import BadRequest

_VALUE = r'(?:[^"\\]|\\.)*'  # the inside of a quoted value, escapes included
_PAIR = r'[^=";]+="' + _VALUE + '"'
_ANY_ELEMENT = r'(?:[^;"]|"' + _VALUE + '")*'
_CLASS = r'\.[^.;"]+'

ELEMENT_KEYS = ("tag_name", "text", "href", "selector")

_PART = re.compile(
    r"""(?P<tag>\*|[A-Za-z][A-Za-z0-9-]*)?
        (?P<rest>(?:\#[A-Za-z0-9_-]+|\.[A-Za-z0-9_:-]+|\[[^\]]+\])*)$""",
    re.VERBOSE,
)
_REST = re.compile(r"\#([A-Za-z0-9_-]+)|\.([A-Za-z0-9_:-]+)|\[([^\]]+)\]")
_ATTRIBUTE = re.compile(
    r"""^\s*([A-Za-z_][A-Za-z0-9_:.-]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^"'\s]+))?\s*$"""
)


def chain_literal(value: str) -> str:
    """A regex matching `value` as it is written inside a chain value (quotes escaped)."""
    return re.escape(value.replace('\\"', '"').replace('"', '\\"'))


def attribute_regex(key: str, value_regex: str, *, case_insensitive: bool = False) -> str:
    """Some element of the chain has the pair `key="<value matching value_regex>"`."""
    flags = "(?i)" if case_insensitive else ""
    return f'{flags}[:"]{re.escape(key)}="{value_regex}"'


def attribute_set_regex(key: str) -> str:
    return f'[:"]{re.escape(key)}="'


def text_regex(key: str, value: str, matching: str) -> str:
    """`text` or `href` of some element: `exact`, `contains` (case-insensitive) or `regex`
    (the whole value must match)."""
    if matching == "exact":
        return attribute_regex(key, chain_literal(value))
    if matching == "contains":
        inner = f"{_VALUE}{chain_literal(value)}{_VALUE}"
        return attribute_regex(key, inner, case_insensitive=True)
    if matching == "regex":
        return attribute_regex(key, f"(?:{value})")
    raise BadRequest(
        f"Unknown matching {matching!r}; use 'exact', 'contains' or 'regex'.",
        code="invalid_filter",
    )


def tag_regex(tag_pattern: str) -> str:
    """Some element's tag matches `tag_pattern` (already a regex)."""
    return f"(?:^|;)(?:{tag_pattern})(?:\\.|:|;|$)"


def selector_regex(selector: str) -> str:
    """The regex for a CSS selector, or a 400 naming what is not supported."""
    if not isinstance(selector, str) or not selector.strip():
        raise BadRequest("A selector must be a non-empty string.", code="invalid_selector")
    tokens = re.findall(r"\[[^\]]*\]|>|[^\s>\[]+(?:\[[^\]]*\][^\s>\[]*)*", selector.strip())
    parts: list[tuple[str, str]] = []  # (combinator before the part, the part)
    combinator = " "
    for token in tokens:
        if token == ">":
            if not parts or combinator == ">":
                raise _unsupported(selector, "a '>' needs a part on each side")
            combinator = ">"
            continue
        parts.append((combinator if parts else "", token))
        combinator = " "
    if not parts or combinator == ">":
        raise _unsupported(selector, "it is empty or ends with '>'")
    # The chain runs from the clicked element outwards, so match the parts in reverse.
    regex = ""
    for index, (before, part) in enumerate(reversed(parts)):
        regex += _element_regex(selector, part)
        if index < len(parts) - 1:
            regex += ";" if before == ">" else f";(?:{_ANY_ELEMENT};)*"
    return f"(?:^|;){regex}(?:;|$)"


def _element_regex(selector: str, part: str) -> str:
    match = _PART.match(part)
    if not match:
        raise _unsupported(selector, f"the part {part!r} is not a tag, #id, .class or [attr]")
    tag = match.group("tag")
    classes: list[str] = []
    pairs: dict[str, str | None] = {}
    for id_, class_, attribute in _REST.findall(match.group("rest")):
        if id_:
            pairs["attr_id"] = id_
        elif class_:
            classes.append(class_)
        else:
            found = _ATTRIBUTE.match(attribute)
            if not found:
                raise _unsupported(selector, f'[{attribute}] is not [name] or [name="value"]')
            name, value = found.group(1), found.group(2)
            if value is not None and value[:1] in ("'", '"'):
                value = value[1:-1]
            pairs["attr_id" if name == "id" else f"attr__{name}"] = value
    head = '[^.;:"]*' if tag in (None, "*") else re.escape(tag.lower())
    body = f"(?:{_CLASS})*"
    for name in sorted(set(classes)):
        body += f"\\.{re.escape(name)}(?:{_CLASS})*"
    attributes = f"(?:{_PAIR})*"
    for key in sorted(pairs):
        value = pairs[key]
        inner = _VALUE if value is None else chain_literal(value)
        attributes += f'{re.escape(key)}="{inner}"(?:{_PAIR})*'
    if pairs:
        return f"{head}{body}:{attributes}"
    return f"{head}{body}(?::{attributes})?"


def _unsupported(selector: str, why: str) -> BadRequest:
    return BadRequest(
        f"Cannot use the selector {selector!r}: {why}. Supported: tag, *, #id, .class, "
        '[attr] and [attr="value"], joined by spaces (any ancestor) or ">" (the parent).',
        code="invalid_selector",
    )
