"""Hostile configuration and baseline files: each is exit 2 with one line naming the file (and
the key), never a traceback, never a hang on a FIFO, never an unbounded read.

Each case runs the installed `auditor` in a real process with a timeout, so a hang fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SDK = "import anthropic\nclient = anthropic.Anthropic(timeout=None)\n"
AUDITOR = str(Path(sys.executable).with_name("auditor"))
NESTED = "[" * 100_000 + "]" * 100_000


def auditor(cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_CACHE_DIR", "AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS")}
    done = subprocess.run([AUDITOR, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app.py").write_text(SDK)
    return tmp_path


def error(message: str) -> tuple[int, str, str]:
    return (2, "", f"auditor: error: {message}\n")


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("pyproject.toml", '[tool.auditor]\nexclude = ["\\\\"]\n', "pyproject.toml: [tool.auditor] exclude: invalid pattern '\\\\'"),
        (
            "pyproject.toml",
            '[tool.auditor]\nextend-exclude = ["build", "[z-a]"]\n',
            "pyproject.toml: [tool.auditor] extend-exclude: invalid pattern '[z-a]' (bad character range z-a)",
        ),
        ("auditor.toml", 'exclude = ["\\\\"]\n', "auditor.toml: exclude: invalid pattern '\\\\'"),
        ("pyproject.toml", f"[tool.auditor]\nselect = {NESTED}\n", "pyproject.toml: not valid TOML: nested too deeply"),
        ("auditor.toml", f"x = {NESTED}\n", "auditor.toml: not valid TOML: nested too deeply"),
        ("pyproject.toml", "[tool.auditor]\nmax-total-wait = nan\n", "pyproject.toml: [tool.auditor] max-total-wait: expected a finite number, got nan"),
        ("pyproject.toml", "[tool.auditor]\nmax-total-wait = inf\n", "pyproject.toml: [tool.auditor] max-total-wait: expected a finite number, got inf"),
        ("pyproject.toml", "[tool.auditor]\nmax-total-wait = -inf\n", "pyproject.toml: [tool.auditor] max-total-wait: expected a finite number, got -inf"),
        ("auditor.toml", "[live]\ntimeout = nan\n", "auditor.toml: [live] timeout: expected a finite number, got nan"),
    ],
    ids=["backslash", "bad-range", "backslash-auditor-toml", "nested-pyproject", "nested-auditor-toml", "nan", "inf", "minus-inf", "live-nan"],
)
def test_a_bad_configuration_is_one_line_and_exit_2(project: Path, name: str, content: str, message: str) -> None:
    (project / name).write_text(content)
    assert auditor(project, "check") == error(message)


def test_a_pyproject_configuring_auditor_must_be_utf8(project: Path) -> None:
    """Before, it was silently ignored: the run used the defaults instead of the configuration."""
    (project / "pyproject.toml").write_bytes(b"# caf\xe9\n[tool.auditor]\nignore = ['ANT402']\n")
    assert auditor(project, "check") == error("pyproject.toml: not UTF-8 text (byte 0xe9 at offset 5); TOML files must be UTF-8")


def test_a_pyproject_of_other_tools_may_be_anything(project: Path) -> None:
    (project / "pyproject.toml").write_bytes(b"[tool.black]\n# caf\xe9\n")
    code, out, err = auditor(project, "check", "-q", "--output-format", "concise")
    assert (code, err) == (1, "") and out.startswith("app.py:2:38: ANT402 ")


def test_an_auditor_toml_must_be_utf8(project: Path) -> None:
    (project / "auditor.toml").write_bytes(b"ignore = ['\xff']\n")
    assert auditor(project, "check") == error("auditor.toml: not UTF-8 text (byte 0xff at offset 11); TOML files must be UTF-8")


def test_config_option_naming_a_fifo_or_a_directory(project: Path) -> None:
    os.mkfifo(project / "fifo.toml")
    (project / "conf.d").mkdir()
    assert auditor(project, "check", "--config", "fifo.toml") == error("fifo.toml: cannot be read: not a regular file (a FIFO)")
    assert auditor(project, "check", "--config", "conf.d") == error("conf.d: cannot be read: not a regular file (a directory)")
    assert auditor(project, "config", "--config", "fifo.toml") == error("fifo.toml: cannot be read: not a regular file (a FIFO)")


def test_config_files_that_are_fifos_are_not_candidates(project: Path) -> None:
    os.mkfifo(project / "auditor.toml")
    os.mkfifo(project / "pyproject.toml")
    code, out, err = auditor(project, "check", "-q", "--output-format", "concise")
    assert (code, err) == (1, "") and out.startswith("app.py:2:38: ANT402 ")


def test_a_huge_configuration_file_is_refused_unread(project: Path) -> None:
    with open(project / "auditor.toml", "wb") as stream:
        stream.truncate(5 * 1024 * 1024)  # sparse: nothing is written, nothing need be read
    assert auditor(project, "check") == error("auditor.toml: cannot be read: larger than 4 MiB")


def test_symlink_loops_as_the_config_or_a_checked_path(project: Path) -> None:
    """Before, finding the project root raised RuntimeError."""
    (project / "loop").symlink_to("loop")
    assert auditor(project, "check", "--config", "loop") == error("loop: no such configuration file")
    code, out, err = auditor(project, "check", "-q", "--no-cache", "--output-format", "concise", "app.py", "loop")
    assert (code, err) == (1, "") and out.startswith("app.py:2:38: ANT402 ")


# --- baseline --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (NESTED, "baseline baseline.json is not an auditor baseline: it is nested too deeply"),
        ('{"version": 1, "findings": [' + NESTED + "]}", "baseline baseline.json is not an auditor baseline: it is nested too deeply"),
        ('{"version": 1, "findings": [{"count": ' + "7" * 5000 + "}]}", "baseline baseline.json is not an auditor baseline: it holds a number too long to read"),
    ],
    ids=["nested", "nested-findings", "5000-digits"],
)
def test_a_hostile_baseline_is_one_line_and_exit_2(project: Path, content: str, message: str) -> None:
    (project / "baseline.json").write_text(content)
    assert auditor(project, "check", "--baseline", "baseline.json") == error(message)


def test_a_baseline_that_is_a_fifo_a_directory_or_huge(project: Path) -> None:
    os.mkfifo(project / "fifo.json")
    (project / "dir.json").mkdir()
    with open(project / "huge.json", "wb") as stream:
        stream.truncate(65 * 1024 * 1024)
    assert auditor(project, "check", "--baseline", "fifo.json") == error("cannot read baseline fifo.json: not a regular file (a FIFO)")
    assert auditor(project, "check", "--baseline", "dir.json") == error("cannot read baseline dir.json: not a regular file (a directory)")
    assert auditor(project, "check", "--baseline", "huge.json") == error("cannot read baseline huge.json: larger than 64 MiB")


def test_write_baseline_never_replaces_a_fifo_or_a_directory(project: Path) -> None:
    os.mkfifo(project / "fifo.json")
    (project / "dir.json").mkdir()
    assert auditor(project, "check", "--write-baseline", "fifo.json") == error("cannot write baseline fifo.json: not a regular file (a FIFO)")
    assert auditor(project, "check", "--write-baseline", "dir.json") == error("cannot write baseline dir.json: not a regular file (a directory)")
    assert (project / "fifo.json").is_fifo() and (project / "dir.json").is_dir()
    assert sorted(p.name for p in project.iterdir()) == [".auditor_cache", ".git", "app.py", "dir.json", "fifo.json"]
