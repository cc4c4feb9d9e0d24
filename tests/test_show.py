"""`auditor check --show-files` and `--show-settings`: what a check would read and with which
settings, without checking anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import auditor


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.auditor]\nextend-exclude = ['generated']\nmax-total-wait = 60\n")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    for name in ("app.py", "pkg/mod.py", "pkg/types.pyi", "lab.ipynb", "generated/client.py", ".venv/lib.py", "ignored/x.py", "notes.txt", "pkg/sub/deep.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    (tmp_path / "strict").mkdir()
    (tmp_path / "strict" / "auditor.toml").write_text("select = ['ANT402']\n")
    (tmp_path / "strict" / "only.py").write_text("x = 1\n")
    return tmp_path


def test_show_files_lists_what_a_check_reads_after_excludes(project: Path) -> None:
    assert auditor(project, "check", "--show-files") == (0, "app.py\nlab.ipynb\npkg/mod.py\npkg/sub/deep.py\npkg/types.pyi\nstrict/only.py\n", "")
    assert auditor(project / "pkg", "check", "--show-files") == (0, "mod.py\nsub/deep.py\ntypes.pyi\n", "")
    # A file named on the command line is checked even when excluded, unless --force-exclude.
    assert auditor(project, "check", "--show-files", "generated/client.py", "notes.txt") == (0, "generated/client.py\nnotes.txt\n", "")
    assert auditor(project, "check", "--show-files", "--force-exclude", "generated/client.py", "app.py") == (0, "app.py\n", "")
    assert auditor(project, "check", "--show-files", "app.py", "nope.py") == (2, "app.py\n", "auditor: error: nope.py: no such file or directory\n")


def test_show_settings_for_the_first_file_with_the_command_line(project: Path) -> None:
    _, config, _ = auditor(project, "config")
    code, out, err = auditor(project, "check", "--show-settings", "--select", "ANT4", "--ignore", "ANT403", "--report-unused-ignores")
    assert (code, err) == (0, "")
    head = "# settings for: app.py\n# command line: --select ANT4 --ignore ANT403\n# rules in force: ANT401 ANT402\n"
    assert out == head + config.replace("report-unused-ignores = false  # default", "report-unused-ignores = true  # command line")
    code, out, _ = auditor(project, "check", "--show-settings", "strict")
    assert out.splitlines()[:4] == [
        "# settings for: strict/only.py",
        "# rules in force: ANT402",
        f"# configuration file: {project / 'strict' / 'auditor.toml'}",
        f"# project root: {project / 'strict'}",
    ]
    assert "select = [\"ANT402\"]  # strict/auditor.toml" in out.splitlines()
