"""The pre-commit hook (.pre-commit-hooks.yaml), run by the real `pre-commit` tool.

pre-commit installs a hook repository from a git commit, never from a working tree: a `repo:`
path in .pre-commit-config.yaml is cloned at `rev`, and `pre-commit try-repo PATH` uses HEAD
plus *tracked* uncommitted changes only (`git add -u`), so a new, still untracked
.pre-commit-hooks.yaml would be missing. try-repo also builds the hook environment in a fresh
temporary store on every call, whatever PRE_COMMIT_HOME says. So these tests commit a copy of
this checkout's working tree (tracked and untracked files, minus ignored ones) to a throwaway
repository, point a .pre-commit-config.yaml at that commit, and run `pre-commit run` with one
PRE_COMMIT_HOME for the whole module: the environment (auditor, libcst and anthropic, from
PyPI) is built once, by the first run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"

BAD = "import anthropic\n\nclient = anthropic.Anthropic(timeout=None)\n"
FIXED = "import anthropic\n\nclient = anthropic.Anthropic(timeout=60.0)\n"
SUPPRESSED = "import anthropic\n\nclient = anthropic.Anthropic(timeout=None)  # noqa: ANT402\n"
GOOD = "import anthropic\n\nclient = anthropic.Anthropic(timeout=30.0, max_retries=2)\n"


def _notebook(source: str) -> str:
    """A one-code-cell notebook after a markdown cell, as Jupyter saves it."""
    cells = [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["# Lab\n"]},
        {"cell_type": "code", "execution_count": None, "id": "code", "metadata": {}, "outputs": [], "source": source.splitlines(keepends=True)},
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"

# Files of the checkout that are never part of the hook repository.
_COPY_IGNORE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".venv", "venv", ".*_cache", ".ci-venv"
)


def _pre_commit() -> str | None:
    beside = Path(sys.executable).with_name("pre-commit")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("pre-commit")


PRE_COMMIT = _pre_commit()


def _git_env() -> dict[str, str]:
    """The environment without any GIT_* variable of an enclosing git hook (GIT_DIR,
    GIT_INDEX_FILE...) or pre-commit run, plus an identity for commits in throwaway repos."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_AUTHOR_NAME="auditor tests",
        GIT_AUTHOR_EMAIL="tests@auditor.invalid",
        GIT_COMMITTER_NAME="auditor tests",
        GIT_COMMITTER_EMAIL="tests@auditor.invalid",
        NO_COLOR="1",
    )
    env.pop("AUDITOR_OUTPUT_FORMAT", None)
    env.pop("GITHUB_ACTIONS", None)
    return env


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=_git_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def _working_tree_files() -> list[str] | None:
    """Tracked and untracked files of this checkout, minus ignored ones; None outside git."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            env=_git_env(),
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(path, rev) of a git repository holding this checkout's working tree in one commit."""
    repo = tmp_path_factory.mktemp("hook-repo")
    names = _working_tree_files()
    if names is None:
        shutil.copytree(ROOT, repo, ignore=_COPY_IGNORE, dirs_exist_ok=True)
    else:
        for name in names:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "auditor working tree")
    return repo, git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def test_manifest_names_no_placeholder_and_no_unpublished_tag() -> None:
    text = HOOKS_FILE.read_text()
    assert "OWNER" not in text and "v0.1.0" not in text
    readme = (ROOT / "README.md").read_text()
    assert "OWNER" not in readme and "rev: v0.1.0" not in readme
    assert "pre-commit autoupdate --freeze" in readme


def test_manifest_declares_the_hook() -> None:
    hooks = yaml.safe_load(HOOKS_FILE.read_text())
    assert [hook["id"] for hook in hooks] == ["auditor"]
    (hook,) = hooks
    assert hook["name"] == "auditor"
    assert hook["entry"] == "auditor check --force-exclude"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "pyi", "jupyter"]
    assert hook["require_serial"] is True
    assert hook["description"]


@pytest.mark.skipif(PRE_COMMIT is None, reason="the pre-commit tool is not installed (pip install pre-commit)")
def test_manifest_is_valid_for_pre_commit() -> None:
    done = subprocess.run(
        [PRE_COMMIT, "validate-manifest", str(HOOKS_FILE)], env=_git_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _hook_project(tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path) -> tuple[Path, Callable[[], subprocess.CompletedProcess[str]]]:
    """A git project using the hook, and what `git commit` runs there: the hook on the staged files."""
    source, rev = hook_repo
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": str(source), "rev": rev, "hooks": [{"id": "auditor"}]}]})
    )
    env = _git_env()
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)

    def pre_commit_run() -> subprocess.CompletedProcess[str]:
        git(project, "add", "-A")
        return subprocess.run(
            [PRE_COMMIT, "run", "--color", "never"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,  # the first run builds the hook environment from PyPI
        )

    return project, pre_commit_run


@pytest.mark.skipif(PRE_COMMIT is None, reason="the pre-commit tool is not installed (pip install pre-commit)")
def test_hook_blocks_a_finding_until_fixed_or_suppressed(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    project, pre_commit_run = _hook_project(tmp_path, hook_repo, pre_commit_home)
    # An excluded directory: pre-commit names its file anyway, --force-exclude skips it.
    (project / "pyproject.toml").write_text('[tool.auditor]\nextend-exclude = ["generated"]\n')
    (project / "generated").mkdir()
    (project / "generated" / "client.py").write_text(BAD)
    (project / "good.py").write_text(GOOD)
    (project / "bad.py").write_text(BAD)
    (project / "notes.txt").write_text("client = anthropic.Anthropic(timeout=None)\n")

    failed = pre_commit_run()
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "auditor" in output and "Failed" in output, output
    assert "bad.py:3:38: ANT402" in output, output
    assert "good.py" not in output, output
    assert "generated" not in output, output

    (project / "bad.py").write_text(FIXED)
    fixed = pre_commit_run()
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout, fixed.stdout

    (project / "bad.py").write_text(SUPPRESSED)
    suppressed = pre_commit_run()
    assert suppressed.returncode == 0, suppressed.stdout + suppressed.stderr
    assert "Passed" in suppressed.stdout, suppressed.stdout


@pytest.mark.skipif(PRE_COMMIT is None, reason="the pre-commit tool is not installed (pip install pre-commit)")
def test_hook_checks_notebooks(tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path) -> None:
    """pre-commit hands the hook staged `.ipynb` files (type `jupyter`); a notebook's finding
    blocks the commit, named by its cell, until it is fixed."""
    project, pre_commit_run = _hook_project(tmp_path, hook_repo, pre_commit_home)
    (project / "lab.ipynb").write_text(_notebook("%pip install anthropic\n" + BAD))
    failed = pre_commit_run()
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "lab.ipynb:cell 2:4:38: ANT402" in output, output
    (project / "lab.ipynb").write_text(_notebook("%pip install anthropic\n" + FIXED))
    fixed = pre_commit_run()
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout, fixed.stdout


@pytest.mark.skipif(PRE_COMMIT is None, reason="the pre-commit tool is not installed (pip install pre-commit)")
def test_pinning_as_the_readme_says_commit_sha_then_release_tag(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    """`pre-commit autoupdate --freeze` pins the newest commit while no release is tagged, then the
    release tag's commit SHA (with a `# frozen:` comment); the hook runs from the pinned SHA."""
    source, rev = hook_repo
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    config = project / ".pre-commit-config.yaml"
    placeholder = f"repos:\n  - repo: {source}\n    rev: not-pinned-yet\n    hooks:\n      - id: auditor\n"
    env = _git_env()
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)

    def pre_commit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PRE_COMMIT, *args], cwd=project, env=env, capture_output=True, text=True, timeout=900)

    config.write_text(placeholder)
    untagged = pre_commit("autoupdate", "--freeze")
    assert untagged.returncode == 0, untagged.stdout + untagged.stderr
    assert config.read_text() == placeholder.replace("not-pinned-yet", rev)

    git(source, "tag", "v9.9.9")
    config.write_text(placeholder)
    tagged = pre_commit("autoupdate", "--freeze")
    assert tagged.returncode == 0, tagged.stdout + tagged.stderr
    assert config.read_text() == placeholder.replace("not-pinned-yet", f"{rev}  # frozen: v9.9.9")

    (project / "bad.py").write_text(BAD)
    git(project, "add", "-A")
    failed = pre_commit("run", "--color", "never")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "bad.py:3:38: ANT402" in failed.stdout, failed.stdout
