"""`auditor check -`: standard input checked as if it were the file `--stdin-filename` names
(its configuration, per-file ignores, excludes under --force-exclude, the path shown), in the
same supervised worker as files."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from conftest import auditor

APP = """\
import anthropic

a = anthropic.Anthropic(timeout=None)
b = anthropic.Anthropic(max_retries=9, timeout=120)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.auditor]\nmax-total-wait = 60\nextend-exclude = ['generated']\n"
        "[tool.auditor.per-file-ignores]\n'legacy/*' = ['ANT403']\n"
    )
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.py").write_text(APP)
    (tmp_path / "strict").mkdir()
    (tmp_path / "strict" / "auditor.toml").write_text("select = ['ANT402']\n")
    return tmp_path


@pytest.mark.parametrize("fmt", ["full", "concise", "json", "sarif"])
def test_stdin_reports_exactly_what_the_file_would(project: Path, fmt: str) -> None:
    on_disk = auditor(project, "check", "pkg/app.py", "--output-format", fmt)
    piped = auditor(project, "check", "-", "--stdin-filename", "pkg/app.py", "--output-format", fmt, stdin=APP)
    assert on_disk[0] == 1
    assert piped == on_disk


def findings(out: str) -> list[tuple[str, str, int]]:
    return [(f["path"], f["code"], f["start"]["line"]) for f in json.loads(out)]


def test_the_configuration_and_per_file_ignores_of_the_named_path(project: Path) -> None:
    code, out, err = auditor(project, "check", "-", "--stdin-filename", "legacy/old.py", "--output-format", "json", stdin=APP)
    assert (code, findings(out), err) == (1, [("legacy/old.py", "ANT402", 3)], "")
    # The nearest configuration file of the named path applies, though the file does not exist
    # (and, as for files, its directory is the root that JSON paths are relative to).
    code, out, err = auditor(project, "check", "-", "--stdin-filename", "strict/new.py", "--output-format", "json", stdin=APP)
    assert (code, findings(out), err) == (1, [("new.py", "ANT402", 3)], "")
    # --stdin-filename alone reads standard input too, as in ruff.
    code, out, _ = auditor(project, "check", "--stdin-filename", "strict/new.py", "--output-format", "concise", "-q", stdin=APP)
    assert (code, [line.split(" ANT402 ")[0] for line in out.splitlines()]) == (1, ["strict/new.py:3:33:"])


def test_without_a_name_the_path_is_a_dash(project: Path) -> None:
    code, out, err = auditor(project / "pkg", "check", "-", "--output-format", "concise", "--select", "ANT402", stdin=APP)
    assert (code, err) == (1, "")
    assert [line.split(" ANT402 ")[0] for line in out.splitlines()] == ["-:3:33:", "Found 1 problem (1 error, 0 warnings) in 1 file."]
    code, out, _ = auditor(project, "check", "-", "--output-format", "json", "--select", "ANT402", stdin=APP)
    assert findings(out) == [("-", "ANT402", 3)]
    code, out, _ = auditor(project, "check", "-", stdin="print('no SDK here')\n")
    assert (code, out) == (0, "All checks passed: no problems in 1 file.\n")


def test_excludes_apply_under_force_exclude(project: Path) -> None:
    args = ("check", "-", "--stdin-filename", "generated/client.py", "--select", "ANT402", "--output-format", "concise", "-q")
    code, out, _ = auditor(project, *args, "--force-exclude", stdin=APP)
    assert (code, out) == (0, "")
    code, out, _ = auditor(project, *args, stdin=APP)
    assert (code, [line.split(" ANT402 ")[0] for line in out.splitlines()]) == (1, ["generated/client.py:3:33:"])


def test_a_notebook_on_stdin_is_read_as_a_notebook(project: Path) -> None:
    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": APP.splitlines(keepends=True)}
    notebook = json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# title"}, cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    code, out, _ = auditor(project, "check", "-", "--stdin-filename", "lab.ipynb", "--output-format", "json", "--select", "ANT402", stdin=notebook)
    assert code == 1
    assert [(f["path"], f["cell"], f["start"]) for f in json.loads(out)] == [("lab.ipynb", 2, {"line": 3, "column": 33})]
    code, out, _ = auditor(project, "check", "-", "--stdin-filename", "lab.ipynb", "--output-format", "concise", stdin='{"cells": "import anthropic"')
    assert (code, out) == (1, "lab.ipynb:1:11: ANT000 not a valid notebook: `cells` is not a list\nFound 1 problem (1 error, 0 warnings) in 1 file.\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-", "pkg/app.py"], "`-` (standard input) cannot be combined with other paths"),
        (["pkg/app.py", "--stdin-filename", "x.py"], "--stdin-filename names standard input (`-`): it cannot be combined with paths to check"),
        (["-", "--fix"], "--fix works on files: it cannot be combined with standard input (`-`)"),
        (["-", "--diff"], "--diff works on files: it cannot be combined with standard input (`-`)"),
        (["-", "--write-baseline", "b.json"], "--write-baseline works on files: it cannot be combined with standard input (`-`)"),
        (["-", "--diff-base", "main"], "--diff-base works on files: it cannot be combined with standard input (`-`)"),
    ],
)
def test_refusals(project: Path, args: list[str], message: str) -> None:
    assert auditor(project, "check", *args, stdin=APP) == (2, "", f"auditor: error: {message}\n")


def test_fix_in_the_configuration_leaves_stdin_alone(project: Path) -> None:
    (project / "strict" / "auditor.toml").write_text("select = ['ANT402']\nfix = true\nunsafe-fixes = true\n")
    code, out, _ = auditor(project, "check", "-", "--stdin-filename", "strict/x.py", "--output-format", "json", stdin=APP)
    assert (code, findings(out)) == (1, [("x.py", "ANT402", 3)])


def test_stdin_is_analysed_in_a_supervised_worker(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An input that crashes the analysis costs its worker, not auditor: the worker really dies of
    SIGSEGV, and the run reports it as ANT000 at the stdin path."""
    import auditor.api

    def crash(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGSEGV)

    monkeypatch.setattr(auditor.api, "analyse", crash)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["check", "-", "--stdin-filename", "pkg/new.py", "--output-format", "concise", "--no-cache"], input=APP)
    assert result.exit_code == 1
    assert result.stdout == (
        "pkg/new.py:1:1: ANT000 the parser crashed on this file (SIGSEGV): the file was not checked\n"
        "Found 1 problem (1 error, 0 warnings) in 1 file.\n"
    )
