"""The bundled example project: every rule fires where the comments say, and nowhere else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

ROOT = Path(__file__).resolve().parent.parent

# (code, path, cell, line, column): the cell of a notebook's finding, its line inside that cell.
EXPECTED = [
    ("ANT401", "examples/prompt_lab.ipynb", 2, 5, 10),
    ("ANT101", "examples/prompt_lab.ipynb", 4, 3, 9),
    ("ANT401", "examples/support_bot/agent.py", None, 18, 23),
    ("ANT201", "examples/support_bot/agent.py", None, 32, 16),
    ("ANT202", "examples/support_bot/agent.py", None, 42, 16),
    ("ANT402", "examples/support_bot/clients.py", None, 14, 44),
    ("ANT403", "examples/support_bot/clients.py", None, 17, 18),
    ("ANT401", "examples/support_bot/reports.py", None, 14, 18),
    ("ANT102", "examples/support_bot/reports.py", None, 20, 15),
    ("ANT101", "examples/support_bot/reports.py", None, 30, 15),
    ("ANT301", "examples/support_bot/retries.py", None, 18, 5),
    ("ANT302", "examples/support_bot/retries.py", None, 30, 2),
    ("ANT303", "examples/support_bot/retries.py", None, 33, 36),
]


def test_examples_exact_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "examples/", "--output-format", "json"])
    assert result.exit_code == 1
    # JSON paths are relative to the project root: examples/, whose pyproject.toml configures auditor.
    found = [(f["code"], f"examples/{f['path']}", f["cell"], f["start"]["line"], f["start"]["column"]) for f in json.loads(result.stdout)]
    assert found == EXPECTED


def test_examples_cover_every_rule_but_parse_and_suppression_errors() -> None:
    from auditor.rule import all_rules

    assert {code for code, *_ in EXPECTED} == set(all_rules()) - {"ANT000", "ANT001"}


def test_each_finding_is_announced_by_a_comment_above_it() -> None:
    """The example's comments name the rule expected below them: code and comments agree."""
    for code, path, cell, line, _ in EXPECTED:
        if cell is None:
            lines = (ROOT / path).read_text().splitlines()
        else:
            lines = "".join(json.loads((ROOT / path).read_text())["cells"][cell - 1]["source"]).splitlines()
        above = "\n".join(lines[max(0, line - 6) : line])
        assert code in above, (code, path, line)
