"""Splitting SQL text into tokens: words, quoted names, literals, numbers and symbols.

Comments (`-- ...`, `/* ... */`) are dropped: the parser builds a tree from the tokens and the
printer writes new SQL from that tree, so nothing the user typed reaches ClickHouse as text.
String literals are unescaped here (`\\'`, `''`, `\\n`, ...) into their values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class SqlError(Exception):
    """A query that cannot be run as written: a syntax error, or a name or function that is
    not allowed. `position` is the 0-based offset in the text."""

    prefix = "Error"

    def __init__(self, message: str, position: int, text: str) -> None:
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        super().__init__(f"{self.prefix} at line {line}, column {column}: {message}")
        self.message = message
        self.position = position
        self.line = line
        self.column = column


class SqlSyntaxError(SqlError):
    prefix = "Syntax error"


class Kind(Enum):
    WORD = "word"  # a bare identifier or keyword
    NAME = "name"  # a quoted identifier: `x` or "x"
    STRING = "string"
    NUMBER = "number"
    SYMBOL = "symbol"
    END = "end"


@dataclass(frozen=True)
class Token:
    kind: Kind
    value: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind is Kind.WORD and self.value.upper() in words

    def is_symbol(self, *symbols: str) -> bool:
        return self.kind is Kind.SYMBOL and self.value in symbols

    def describe(self) -> str:
        if self.kind is Kind.END:
            return "the end of the query"
        if self.kind is Kind.STRING:
            return "a string literal"
        return repr(self.value)


MAX_QUERY_LENGTH = 100_000

# Longest first, so that `<=` wins over `<`.
_SYMBOLS = (
    "!~*",
    "=~*",
    "->",
    "<=",
    ">=",
    "!=",
    "<>",
    "==",
    "||",
    "::",
    "=~",
    "!~",
    "+",
    "-",
    "*",
    "/",
    "%",
    "=",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    ";",
    "?",
    ":",
)

_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?",
)
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "0": "\0",
    "b": "\b",
    "f": "\f",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "`": "`",
}


def _quoted(text: str, start: int, quote: str) -> tuple[str, int]:
    """The unescaped content of a quoted run starting at `start`, and the offset after it."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                break
            following = text[i + 1]
            out.append(_ESCAPES.get(following, following))
            i += 2
            continue
        if char == quote:
            if text.startswith(quote, i + 1):  # a doubled quote stands for itself
                out.append(quote)
                i += 2
                continue
            return "".join(out), i + 1
        out.append(char)
        i += 1
    what = "string literal" if quote == "'" else "quoted name"
    raise SqlSyntaxError(f"unterminated {what}", start, text)


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_QUERY_LENGTH:
        raise SqlSyntaxError(
            f"the query is longer than {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH, text
        )
    tokens: list[Token] = []
    i = 0
    length = len(text)
    while i < length:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if text.startswith("--", i):
            newline = text.find("\n", i)
            i = length if newline < 0 else newline + 1
            continue
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise SqlSyntaxError("unterminated comment", i, text)
            i = close + 2
            continue
        if char == "'":
            value, end = _quoted(text, i, "'")
            tokens.append(Token(Kind.STRING, value, i, end))
            i = end
            continue
        if char in '`"':
            value, end = _quoted(text, i, char)
            if not value or "\0" in value:
                raise SqlSyntaxError("a quoted name cannot be empty or hold a NUL", i, text)
            tokens.append(Token(Kind.NAME, value, i, end))
            i = end
            continue
        number = _NUMBER.match(text, i)
        if number and (char.isdigit() or (char == "." and not _follows_name(tokens, i))):
            end = number.end()
            if end < length and (text[end].isalpha() or text[end] in "_$"):
                raise SqlSyntaxError(f"unexpected {text[i : end + 1]!r}", i, text)
            tokens.append(Token(Kind.NUMBER, number.group(), i, end))
            i = end
            continue
        word = _WORD.match(text, i)
        if word:
            tokens.append(Token(Kind.WORD, word.group(), i, word.end()))
            i = word.end()
            continue
        for symbol in _SYMBOLS:
            if text.startswith(symbol, i):
                tokens.append(Token(Kind.SYMBOL, symbol, i, i + len(symbol)))
                i += len(symbol)
                break
        else:
            raise SqlSyntaxError(f"unexpected character {char!r}", i, text)
    tokens.append(Token(Kind.END, "", length, length))
    return tokens


def _follows_name(tokens: list[Token], position: int) -> bool:
    """`.5` after a name or `)` is a dot and a number (`t.1`), not the number 0.5."""
    if not tokens or tokens[-1].end != position:
        return False
    last = tokens[-1]
    return last.kind in (Kind.WORD, Kind.NAME) or last.is_symbol(")", "]")
