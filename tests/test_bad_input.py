"""Bad input is a finding (ANT000) and a clean exit code, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main


def concise(*args: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(main, ["check", "--output-format", "concise", "-q", *args])
    return result.exit_code, result.stdout.splitlines(), result.stderr


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_syntax_error(here: Path) -> None:
    (here / "broken.py").write_text("import anthropic\ndef f(:\n    pass\n")
    assert concise("broken.py") == (1, ["broken.py:2:7: ANT000 syntax error: invalid syntax"], "")


def test_valid_python_libcst_rejects(here: Path) -> None:
    (here / "odd.py").write_text("import anthropic\n(x): int = 1\n")
    code, lines, _ = concise("odd.py")
    assert code == 1
    assert lines[0].startswith("odd.py:2:5: ANT000 valid Python that libcst cannot parse, so the file was not checked (")


def test_binary_file(here: Path) -> None:
    (here / "blob.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00anthropic")
    assert concise("blob.py") == (1, ["blob.py:1:1: ANT000 binary file (contains NUL bytes), not Python source"], "")


def test_wrong_encoding(here: Path) -> None:
    (here / "latin.py").write_bytes(b"import anthropic\ns = '\xe9'\n")
    code, lines, _ = concise("latin.py")
    assert code == 1
    assert lines == [
        "latin.py:1:1: ANT000 cannot decode file: 'utf-8' codec can't decode byte 0xe9 in position 22: invalid continuation byte"
    ]


def test_declared_encoding_is_honoured(here: Path) -> None:
    (here / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport anthropic\ns = '\xe9'\nc = anthropic.Anthropic(timeout=None)\n")
    assert concise("latin.py") == (1, ["latin.py:4:33: ANT402 " + concise("latin.py")[1][0].split(" ANT402 ")[1]], "")


def test_empty_file_is_valid_python(here: Path) -> None:
    (here / "__init__.py").write_text("")
    assert concise("__init__.py") == (0, [], "")


def test_bom_is_fine(here: Path) -> None:
    (here / "bom.py").write_bytes(b"\xef\xbb\xbfimport anthropic\nc = anthropic.Anthropic(timeout=None)\n")
    assert concise("bom.py")[1][0].startswith("bom.py:2:33: ANT402")


def test_unreadable_directory_is_reported_and_the_run_goes_on(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "locked").mkdir()
    (here / "ok.py").write_text("import anthropic\nc = anthropic.Anthropic(timeout=None)\n")
    if os.geteuid() != 0:
        os.chmod(here / "locked", 0)
    else:  # root reads everything: make the directory listing fail the way permissions would
        real_scandir = os.scandir

        def scandir(path: object) -> object:
            if str(path).endswith("locked"):
                raise PermissionError(13, "Permission denied")
            return real_scandir(path)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        code, lines, _ = concise(".")
    finally:
        os.chmod(here / "locked", 0o755)
    assert code == 1
    assert lines[0] == "locked:1:1: ANT000 cannot read directory: Permission denied"
    assert lines[1].startswith("ok.py:2:33: ANT402")


def test_unreadable_file(here: Path) -> None:
    os.symlink(here / "missing.py", here / "dangling.py")
    code, lines, _ = concise("dangling.py")
    assert (code, lines) == (1, ["dangling.py:1:1: ANT000 cannot read file: No such file or directory"])


def test_parse_error_is_silenced_only_by_per_file_ignores(here: Path) -> None:
    (here / "broken.py").write_text("import anthropic  # auditor: ignore-file\ndef f(:  # noqa\n")
    assert concise("broken.py")[0] == 1
    (here / "pyproject.toml").write_text("[tool.auditor.per-file-ignores]\n'broken.py' = ['ANT000']\n")
    assert concise("broken.py") == (0, [], "")


def test_files_that_cannot_reference_the_sdk_are_not_parse_errors(here: Path) -> None:
    """ANT000 is about files auditor must read: the same with and without the prefilter."""
    (here / "other.py").write_text("def f(:\n")
    assert concise("other.py") == (0, [], "")
    assert concise("--no-prefilter", "other.py") == (0, [], "")


def test_no_traceback_end_to_end(here: Path) -> None:
    (here / "blob.py").write_bytes(b"\x00\x01")
    (here / "broken.py").write_text("import anthropic\nclass:\n")
    done = subprocess.run([sys.executable, "-m", "auditor", "check", "."], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "Found 2 problems (2 errors, 0 warnings) in 2 files." in done.stdout


def test_deeply_nested_expression_is_a_finding_not_a_crash(here: Path) -> None:
    terms = " + ".join(["1"] * 3000)
    (here / "deep.py").write_text(f"import anthropic\nc = anthropic.Anthropic(timeout=None)\nN = {terms}\n")
    code, lines, err = concise("deep.py")
    assert err == ""
    # libcst is quadratic on long operator chains: the pre-screen refuses it before parsing.
    deep = "an expression nested or chained deeper than 1,000 levels (too deep for the parser to handle safely): the file was not parsed"
    assert (code, lines) == (1, [f"deep.py:3:1: ANT000 {deep}"])


def test_long_but_real_expression_is_analysed(here: Path) -> None:
    """A 900-term chain is below the pre-screen's limit: the workers' deeper stack analyses it."""
    terms = " + ".join(["1"] * 900)
    (here / "long.py").write_text(f"import anthropic\nc = anthropic.Anthropic(timeout=None)\nN = {terms}\n")
    code, lines, err = concise("long.py")
    assert err == ""
    disabled = "timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever"
    assert (code, lines) == (1, [f"long.py:2:33: ANT402 {disabled}"])


def test_utf16_is_named(here: Path) -> None:
    (here / "wide.py").write_bytes("import anthropic\n".encode("utf-16"))
    assert concise("wide.py") == (1, ["wide.py:1:1: ANT000 UTF-16 encoded: Python source must be UTF-8 (or declare its encoding)"], "")
