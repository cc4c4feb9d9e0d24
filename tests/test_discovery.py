"""Which files are checked: .gitignore (nested), exclude, explicit files, --force-exclude."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

SDK = "import anthropic\nc = anthropic.Anthropic(timeout=None)\n"


def checked(*args: str) -> list[str]:
    result = CliRunner().invoke(main, ["check", "--output-format", "json", *args])
    assert result.exit_code in (0, 1), result.stderr
    return [f["path"] for f in json.loads(result.stdout)]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = [
        "b.py",
        "a.py",
        "stubs/api.pyi",
        "notes.txt",
        "build/gen.py",
        ".venv/lib/site.py",
        "generated/out.py",
        "pkg/keep.py",
        "pkg/secret.py",
        "pkg/sub/deep.py",
        "pkg/sub/tmp_x.py",
        "tests/fixtures/bad.py",
    ]
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SDK)
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "pkg" / ".gitignore").write_text("secret.py\nsub/tmp_*\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_walk_honours_gitignore_and_default_excludes(tree: Path) -> None:
    assert checked() == ["a.py", "b.py", "pkg/keep.py", "pkg/sub/deep.py", "stubs/api.pyi", "tests/fixtures/bad.py"]


def test_exclude_and_extend_exclude(tree: Path) -> None:
    (tree / "pyproject.toml").write_text("[tool.auditor]\nextend-exclude = ['tests/fixtures', 'b.py']\n")
    assert checked() == ["a.py", "pkg/keep.py", "pkg/sub/deep.py", "stubs/api.pyi"]
    (tree / "pyproject.toml").write_text("[tool.auditor]\nexclude = ['stubs']\n")
    # `exclude` replaces the defaults: build/ and .venv/ are walked again.
    assert "build/gen.py" in checked() and "stubs/api.pyi" not in checked()


def test_explicit_files_are_always_checked_unless_force_exclude(tree: Path) -> None:
    (tree / "pyproject.toml").write_text("[tool.auditor]\nextend-exclude = ['tests/fixtures']\n")
    assert checked("tests/fixtures/bad.py", "build/gen.py") == ["build/gen.py", "tests/fixtures/bad.py"]
    assert checked("--force-exclude", "tests/fixtures/bad.py", "build/gen.py", "a.py") == ["a.py"]
    assert checked("--force-exclude", "tests/fixtures") == []


def test_explicit_directory_and_stable_order(tree: Path) -> None:
    assert checked("pkg", "a.py", "pkg/keep.py") == ["a.py", "pkg/keep.py", "pkg/sub/deep.py"]


def test_missing_path_is_reported(tree: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--output-format", "concise", "nope.py"])
    assert result.exit_code == 1
    assert result.stdout == (
        "nope.py:1:1: ANT000 no such file or directory\nFound 1 problem (1 error, 0 warnings) in 1 file.\n"
    )


def test_a_named_directory_ignored_by_a_gitignore_above_it_is_still_walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".gitignore").write_text("/versions\n*.tmp.py\n")
    lib = tmp_path / "versions" / "3.11" / "lib"
    lib.mkdir(parents=True)
    (lib / "mod.py").write_text(SDK)
    (lib / "skip.tmp.py").write_text(SDK)
    (tmp_path / "app.py").write_text(SDK)
    monkeypatch.chdir(tmp_path)
    assert checked() == ["app.py"]
    # No configuration and no repository: the project root is the checked directory itself.
    assert checked("versions/3.11/lib") == ["mod.py", "skip.tmp.py"]


def test_a_gitignore_git_would_not_understand_is_read_as_git_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad patterns (`[z-a]`, a lone backslash) are skipped as git skips them; the good ones
    still apply; a FIFO named .gitignore is not read at all (it would block the walk)."""
    import os

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitignore").write_text("ignored.py\n[z-a]\n\\\n")
    for name in ("app.py", "ignored.py", "sub/app.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(SDK)
    os.mkfifo(tmp_path / "sub" / ".gitignore")
    assert checked("--no-cache", ".") == ["app.py", "sub/app.py"]
