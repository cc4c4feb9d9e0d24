"""The README's rule and option tables are written from the code (scripts/readme_tables.py):
this keeps them in step, and fails when a rule or an option is added without the README."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

import auditor.rule
from auditor.cli import check
from auditor.findings import Severity
from auditor.rule import Rule, all_rules

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "readme_tables.py"


def tables() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_tables", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_tables_are_in_step_with_the_code() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_rule_added_without_the_readme_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    class NewRule(Rule):
        code = "ANT404"
        name = "new-rule"
        severity = Severity.WARNING
        summary = "A rule the README does not list yet"

    monkeypatch.setattr(auditor.rule, "_RULES", {**all_rules(), "ANT404": NewRule})
    module = tables()
    readme = (ROOT / "README.md").read_text()
    assert module.out_of_step(readme) == ["rules"]
    assert "| ANT404 | new-rule | warning |  | A rule the README does not list yet |" in module.regenerate(readme)


def test_an_option_added_without_the_readme_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check, "params", [*check.params, click.Option(["--new-flag"], is_flag=True, help="Something new.")])
    readme = (ROOT / "README.md").read_text()
    assert tables().out_of_step(readme) == ["check options"]


def test_check_names_what_is_out_of_step_and_the_rewrite_fixes_it(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text()
    readme.write_text(text.replace("| ANT303 | retrying", "| ANT999 | retrying").replace("| `--exit-zero` |", "| `--exit-one` |"))
    done = subprocess.run([sys.executable, str(SCRIPT), "--check", "--readme", str(readme)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"{readme}: the rules table is out of step with the code: run python scripts/readme_tables.py\n"
        f"{readme}: the check options table is out of step with the code: run python scripts/readme_tables.py\n"
    )
    subprocess.run([sys.executable, str(SCRIPT), "--readme", str(readme)], check=True, timeout=60)
    assert readme.read_text() == text
