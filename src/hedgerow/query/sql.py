"""A small builder that keeps values out of SQL text: every value becomes a parameter."""

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
        return self.add(value, "String")

    def number(self, value: float) -> str:
        return self.add(value, "Float64")

    def integer(self, value: int) -> str:
        return self.add(value, "Int64")
