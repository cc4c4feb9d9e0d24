"""Shared test helpers: check a snippet, and get its findings as (code, line, column)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from auditor.api import check_source
from auditor.config import Settings

# ANT301's and ANT302's advice, the same for every finding of theirs.
RETRY_HELP = (
    "Let the SDK retry instead: Anthropic(max_retries=N) or client.with_options(max_retries=N); keep your own "
    "logic for application decisions such as falling back to another model"
)


def findings(source: str, **settings: Any) -> list[tuple[str, int, int]]:
    """(code, line, column) of every finding in `source` (dedented), in order."""
    config = dataclasses.replace(Settings(), **settings)
    return [(f.code, f.span.line, f.span.column) for f in check_source(textwrap.dedent(source), config)]


def messages(source: str, **settings: Any) -> list[str]:
    """`CODE diagnosis` of every finding in `source` (dedented), in order."""
    config = dataclasses.replace(Settings(), **settings)
    return [f"{f.code} {f.message}" for f in check_source(textwrap.dedent(source), config)]


def explained(source: str, **settings: Any) -> list[tuple[str, str | None]]:
    """(`CODE diagnosis`, help) of every finding in `source` (dedented), in order: what the
    full format prints on the finding's first line and on its `= help:` line."""
    config = dataclasses.replace(Settings(), **settings)
    return [(f"{f.code} {f.message}", f.help) for f in check_source(textwrap.dedent(source), config)]


@pytest.fixture(autouse=True)
def _no_ci_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run the same inside a CI job: its checkout variables would move report paths."""
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)


@pytest.fixture
def only() -> Any:
    """`only("ANT401")(source)`: findings of one rule."""

    def make(code: str) -> Any:
        def run(source: str, **settings: Any) -> list[tuple[str, int, int]]:
            return findings(source, select=(code,), **settings)

        return run

    return make


def git_env(tmp_path: Path) -> dict[str, str]:
    """Hermetic git: no system or user configuration, and no repository discovery above tmp_path."""
    config = tmp_path / "gitconfig"
    if not config.exists():
        config.write_text(
            "[user]\n\tname = Test\n\temail = test@example.com\n[commit]\n\tgpgsign = false\n"
            "[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=str(config), GIT_CONFIG_NOSYSTEM="1", GIT_CEILING_DIRECTORIES=str(tmp_path))
    env.pop("AUDITOR_OUTPUT_FORMAT", None)
    env.pop("GITHUB_ACTIONS", None)
    return env


def hermetic_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git for a test: no system or user configuration, and no repository found above tmp_path."""
    for key, value in git_env(tmp_path).items():
        monkeypatch.setenv(key, value)


_OUTPUT_VARIABLES = ("AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS", "AUDITOR_CACHE_DIR", "NO_COLOR", "FORCE_COLOR", "COLUMNS")


def auditor(cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the installed `auditor` command as a user would, in `cwd`, with no cache (unless
    given --cache-dir) and none of the variables that change its output: (exit code, stdout, stderr)."""
    command = shutil.which("auditor", path=os.path.dirname(sys.executable)) or "auditor"
    clean = {k: v for k, v in os.environ.items() if k not in _OUTPUT_VARIABLES}
    clean.update(env or {})
    flags = ["--no-cache"] if args and args[0] == "check" and "--cache-dir" not in args else []
    done = subprocess.run([command, *args, *flags], cwd=cwd, env=clean, input=stdin, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout, done.stderr


def on_a_terminal(cwd: Path, *args: str, env: dict[str, str] | None = None, columns: int = 80) -> str:
    """The installed `auditor`'s standard output on a pseudo-terminal `columns` wide, as an
    interactive shell gives it (line ends as "\\n")."""
    import fcntl
    import pty
    import struct
    import termios

    command = shutil.which("auditor", path=os.path.dirname(sys.executable)) or "auditor"
    clean = {k: v for k, v in os.environ.items() if k not in _OUTPUT_VARIABLES}
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    try:
        subprocess.run([command, *args], cwd=cwd, env={**clean, **(env or {})}, stdout=follower, stderr=subprocess.DEVNULL, timeout=120, check=False)
    finally:
        os.close(follower)
    chunks = []
    try:
        while chunk := os.read(leader, 65536):
            chunks.append(chunk)
    except OSError:  # EIO: the terminal's other end is closed and everything was read
        pass
    finally:
        os.close(leader)
    return b"".join(chunks).decode().replace("\r\n", "\n")
