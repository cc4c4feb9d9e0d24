"""Rule selection with ruff's precedence: the command line over the configuration, the more
specific selector over the less specific one, an ignore over a select of equal specificity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.config import RuleSelection
from auditor.rule import resolve_selection, specificity
from conftest import auditor

ALL_CODES = ["ANT000", "ANT001", "ANT101", "ANT102", "ANT201", "ANT202", "ANT301", "ANT302", "ANT303", "ANT401", "ANT402", "ANT403"]

APP = """\
import anthropic

a = anthropic.Anthropic(timeout=None)
b = anthropic.Anthropic(max_retries=9, timeout=120)
c = anthropic.Anthropic()
c.messages.create(model="m", max_tokens=1, messages=[])
"""
ANT402, ANT403, ANT401 = ("ANT402", 3, 33), ("ANT403", 4, 5), ("ANT401", 5, 5)


def test_specificity_ranks_as_ruff_does() -> None:
    assert [specificity(s) for s in ("ALL", "ANT", "ANT4", "ANT40", "ANT402", "timeout-disabled")] == [0, 1, 2, 3, 4, 4]


def enabled(*layers: RuleSelection) -> list[str]:
    return sorted(resolve_selection(layers))


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ([RuleSelection(("ALL",))], ALL_CODES),
        ([RuleSelection(("ALL",), ignore=("ANT4",), extend_select=("ANT402",))], [c for c in ALL_CODES if c not in ("ANT401", "ANT403")]),
        ([RuleSelection(("ANT402",), ignore=("ALL",))], ["ANT402"]),
        ([RuleSelection(("ALL",), ignore=("ANT402",))], [c for c in ALL_CODES if c != "ANT402"]),
        # Equal specificity: the ignore wins, in whichever order they are written.
        ([RuleSelection(("ANT4",), ignore=("ANT4",))], []),
        ([RuleSelection(("ANT402",), ignore=("timeout-disabled",))], []),
        # A rule name is as specific as a code.
        ([RuleSelection(("ALL",), ignore=("ANT4",), extend_select=("timeout-disabled",))], [c for c in ALL_CODES if c not in ("ANT401", "ANT403")]),
        # The command line's --select replaces the configuration's selection, ignores included.
        ([RuleSelection(("ALL",), ignore=("ANT402",)), RuleSelection(("ANT4",))], ["ANT401", "ANT402", "ANT403"]),
        # Without --select, the command line adjusts the configuration's selection.
        ([RuleSelection(("ALL",), ignore=("ANT4",)), RuleSelection(extend_select=("ANT402",))], [c for c in ALL_CODES if c not in ("ANT401", "ANT403")]),
        ([RuleSelection(("ANT4",)), RuleSelection(ignore=("ANT401",))], ["ANT402", "ANT403"]),
        ([RuleSelection(("ANT1",), ignore=("ANT101",)), RuleSelection(ignore=("ANT2",))], ["ANT102"]),
    ],
)
def test_resolution(layers: list[RuleSelection], expected: list[str]) -> None:
    assert enabled(*layers) == expected


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def found(project: Path, *args: str) -> tuple[int, list[tuple[str, int, int]]]:
    code, out, err = auditor(project, "check", "--output-format", "json", *args)
    assert err == ""
    return code, [(f["code"], f["start"]["line"], f["start"]["column"]) for f in json.loads(out)]


@pytest.mark.parametrize(
    ("config", "args", "expected"),
    [
        ("", [], [ANT402, ANT403, ANT401]),
        # The command line wins over the configuration.
        ("ignore = ['ANT402']", [], [ANT403, ANT401]),
        ("ignore = ['ANT402']", ["--select", "ANT402"], [ANT402]),
        ("ignore = ['ANT402']", ["--extend-select", "ANT402"], [ANT402, ANT403, ANT401]),
        ("ignore = ['timeout-disabled']", ["--select", "ANT4"], [ANT402, ANT403, ANT401]),
        ("select = ['ANT402']", ["--extend-select", "ANT403"], [ANT402, ANT403]),
        ("select = ['ANT4']", ["--ignore", "ANT403,ANT401"], [ANT402]),
        # The more specific selector wins, across the layers and inside one.
        ("ignore = ['ANT4']", ["--extend-select", "ANT402"], [ANT402]),
        ("ignore = ['ANT4']\nextend-select = ['ANT402']", [], [ANT402]),
        ("", ["--ignore", "ANT4", "--extend-select", "timeout-disabled"], [ANT402]),
        ("", ["--select", "ANT402", "--ignore", "ALL"], [ANT402]),
        ("", ["--select", "ANT4", "--ignore", "ANT4"], []),
    ],
)
def test_end_to_end(project: Path, config: str, args: list[str], expected: list[tuple[str, int, int]]) -> None:
    (project / "pyproject.toml").write_text(f"[tool.auditor]\nmax-total-wait = 60\n{config}\n")
    assert found(project, *args) == (1 if expected else 0, expected)


def test_unfixable_prefix_loses_to_a_fixable_code(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.auditor]\nunfixable = ['ANT4']\nfixable = ['ANT402']\n")
    code, out, _ = auditor(project, "check", "--output-format", "json")
    assert [(f["code"], f["fix"] is not None) for f in json.loads(out)] == [("ANT402", True), ("ANT401", False)]
