"""The docs list every setting, discard reason and error code the code has."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hedgerow.ingestion.outcomes import DiscardReason, WarningType
from hedgerow.setting_options import OPTIONS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SOURCE = ROOT / "src" / "hedgerow"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    for option in OPTIONS:
        assert f"`{option.flag}`" in text, option.flag
        assert f"`{option.env}`" in text, option.env


def test_every_discard_reason_and_warning_is_documented() -> None:
    text = (DOCS / "discard-reasons.md").read_text()
    for reason in [*DiscardReason, *WarningType]:
        assert f"| `{reason.value}` |" in text, reason.value


def _error_classes(trees: list[ast.Module]) -> dict[str, str | None]:
    """Every HedgerowError subclass in the source, with the default code it declares."""
    bases: dict[str, list[str]] = {}
    defaults: dict[str, str | None] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
                defaults[node.name] = None
                for item in node.body:
                    target = item.target if isinstance(item, ast.AnnAssign) else None
                    if isinstance(item, ast.Assign) and len(item.targets) == 1:
                        target = item.targets[0]
                    value = getattr(item, "value", None)
                    if (
                        isinstance(target, ast.Name)
                        and target.id == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        defaults[node.name] = value.value

    def is_error(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name == "HedgerowError":
            return True
        return name not in seen and any(is_error(b, seen | {name}) for b in bases.get(name, []))

    return {name: code for name, code in defaults.items() if is_error(name)}


def error_codes() -> dict[str, str]:
    """code -> where it is raised, for every code given to a HedgerowError in src/hedgerow."""
    files = sorted(SOURCE.rglob("*.py"))
    trees = [ast.parse(path.read_text(), str(path)) for path in files]
    classes = _error_classes(trees)
    codes = {code: f"class {name}" for name, code in classes.items() if code}
    for path, tree in zip(files, trees, strict=True):
        assigned = _strings_assigned(tree)
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in classes
            ):
                continue
            for keyword in node.keywords:
                if keyword.arg != "code":
                    continue
                value = keyword.value
                where = f"{path.relative_to(SOURCE)}:{node.lineno}"
                if isinstance(value, ast.Name):  # code=code: what the module assigns to it
                    for code in assigned.get(value.id, []):
                        codes.setdefault(code, where)
                else:
                    for code in _strings(value):
                        codes.setdefault(code, where)
    return codes


def _strings(node: ast.AST) -> list[str]:
    """String constants in an expression (`"a"`, `"a" if x else "b"`)."""
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _strings_assigned(tree: ast.Module) -> dict[str, list[str]]:
    """name -> the string constants assigned to it anywhere in a module."""
    assigned: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).extend(_strings(node.value))
    return assigned


def test_error_codes_are_found() -> None:
    """The scan itself works: a default code, and a code given at a raise."""
    codes = error_codes()
    assert codes["internal_error"] == "class HedgerowError"
    assert "missing_distinct_id" in codes and "request_parsing_error" in codes
    assert "query_failed" in codes and "query_too_expensive" in codes  # code=<a variable>


def test_every_error_code_is_documented() -> None:
    documented = set()
    for page in DOCS.glob("*.md"):
        documented.update(re.findall(r"^\|[^|\n]*\| `([a-z0-9_]+)` \|", page.read_text(), re.M))
    missing = {code: where for code, where in error_codes().items() if code not in documented}
    assert not missing, f"error codes without a docs table row `| status | \\`code\\` |`: {missing}"
