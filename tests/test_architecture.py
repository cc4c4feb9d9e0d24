"""The layout holds: layers import only downward, no module imports itself back through
others, modules and classes stay small, and every rule documents itself in ruff's sections."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from auditor.rule import all_rules

PACKAGE = Path(__file__).resolve().parent.parent / "auditor"


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


MODULES = _modules()


def _imports(tree: ast.Module, module: str, top_level_only: bool) -> set[str]:
    """The auditor modules `module` imports. With `top_level_only`, only what runs when it is
    imported: not inside functions, not under `if TYPE_CHECKING:`."""
    names: set[str] = set()
    nodes = _top_level(tree) if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            assert not node.level, f"{module}: the project uses absolute imports only"
            base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                names.add(candidate if candidate in MODULES else base)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.split(".")[0] == "auditor" and name in MODULES and name != module}


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    statements: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            statements.append(node)
        elif isinstance(node, (ast.If, ast.Try)):
            statements.extend(n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return statements


def test_no_import_cycle() -> None:
    graph = {name: _imports(tree, name, top_level_only=True) for name, tree in MODULES.items()}
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for imported in sorted(graph[name]):
            if state.get(imported) == "open":
                pytest.fail("import cycle: " + " -> ".join([*path[path.index(imported):], imported]))
            if imported not in state:
                visit(imported, [*path, imported])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


# What each layer may import (any import, lazy or for types included): nothing upward.
ALLOWED = {
    "auditor.analysis": ("auditor.analysis",),
    "auditor.sdk": ("auditor.analysis", "auditor.sdk", "auditor.config"),
    # Per-module summaries and the linker: between the SDK facts and the rules, which never see it.
    "auditor.project": ("auditor.analysis", "auditor.sdk", "auditor.project", "auditor.config"),
    "auditor.rules": ("auditor.analysis", "auditor.sdk", "auditor.rules.wording", "auditor.findings", "auditor.rule", "auditor.fix", "auditor.config"),
}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_import_only_downward(layer: str) -> None:
    wrong = {}
    for name, tree in MODULES.items():
        if name == layer or name.startswith(layer + "."):
            bad = {i for i in _imports(tree, name, top_level_only=False) if not i.startswith(ALLOWED[layer])}
            if bad:
                wrong[name] = sorted(bad)
    assert wrong == {}


def test_no_rule_imports_another() -> None:
    rules = {name for name in MODULES if name.startswith("auditor.rules.") and name != "auditor.rules.wording"}
    crossing = {name: sorted(_imports(MODULES[name], name, top_level_only=False) & rules) for name in rules}
    assert {name: found for name, found in crossing.items() if found} == {}


def test_modules_and_classes_stay_small() -> None:
    too_long = {}
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > 700:
            too_long[str(path.relative_to(PACKAGE))] = lines
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > 300:
                too_long[f"{path.relative_to(PACKAGE)}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert too_long == {}


SECTIONS = ("## What it does", "## Why is this bad?", "## Example")


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_every_rule_documents_itself(code: str) -> None:
    rule = all_rules()[code]
    documentation = rule.documentation()
    assert documentation.splitlines()[0].strip(), "a one-line summary first"
    assert [section for section in SECTIONS if section not in documentation] == []
    assert documentation.index("## What it does") < documentation.index("## Why is this bad?") < documentation.index("## Example")
    if code not in ("ANT000", "ANT001"):  # a file that cannot be parsed has no "instead"
        assert "Use instead:" in documentation
