r"""A small builder that keeps values out of SQL text: every value becomes a parameter.

ClickHouse reads a String parameter in its escaped text form, so backslashes and control
characters are escaped here: the value arrives exactly as given (a regex `\d` stays `\d`).
"""

from __future__ import annotations

from typing import Any


class SqlParams:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any, type_: str) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return "{" + f"{name}:{type_}" + "}"

    def string(self, value: str) -> str:
        return self.add(escape_text(value), "String")

    def number(self, value: float) -> str:
        return self.add(value, "Float64")

    def integer(self, value: int) -> str:
        return self.add(value, "Int64")

    def strings(self, values: list[str]) -> str:
        """An Array(String) parameter (sent in ClickHouse's text form)."""
        quoted = ("'" + escape_text(v).replace("'", "\\'") + "'" for v in values)
        return self.add("[" + ",".join(quoted) + "]", "Array(String)")


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def escape_text(value: str) -> str:
    """A string in ClickHouse's escaped text form (how parameter values are read)."""
    return value.translate(_ESCAPES)
