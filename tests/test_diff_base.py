"""`--diff-base REF`: the findings a branch brings, by comparison with the merge base, in real git
repositories made here (two branches, real commits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import git_env

from auditor.cli import main

CLIENT = "import anthropic\n\nclient = anthropic.Anthropic()\n"
# A call with a timeout of its own: the client's missing timeout does not matter (no ANT401).
ASK = '\n\ndef ask(prompt):\n    return client.messages.create(model="m", max_tokens=100, messages=[], timeout=30)\n'
SAFE = "\n\ndef safe(prompt):\n    try:\n        return ask(prompt)\n    except anthropic.RateLimitError:\n        raise\n"
QUICK = '\n\ndef quick(prompt):\n    return client.messages.create(model="m", max_tokens=100, messages=[])\n'
BROAD = "    except anthropic.APIError:\n        raise\n"
OLD_BAD = "import anthropic\nold = anthropic.Anthropic(timeout=None)\n"
ANT402 = "ANT402 timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever"
ANT401 = "ANT401 Anthropic() and the call on line {line} set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s"
ANT201 = "ANT201 `except anthropic.RateLimitError` can never run: the `except anthropic.APIError` on line {line} catches it first"
CLEAN = "All checks passed: no problems in {n} file{s}.\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose `main` has one commit: app.py with a client, a call and a handler, all
    fine, and legacy.py with one old ANT402. The working directory is its top level."""
    for key, value in git_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AUDITOR_OUTPUT_FORMAT", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    git("init", "-q")
    (root / ".gitignore").write_text(".auditor_cache/\n")
    (root / "app.py").write_text(CLIENT + ASK + SAFE)
    (root / "legacy.py").write_text(OLD_BAD)
    commit("first")
    return root


def git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


def commit(message: str, cwd: Path | None = None) -> None:
    git("add", "-A", cwd=cwd)
    git("commit", "-q", "-m", message, cwd=cwd)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", "--output-format", "concise", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def on_feature(edit: dict[str, str]) -> None:
    """Commit `edit` (path -> new text) on a new branch `feature`."""
    git("checkout", "-q", "-b", "feature")
    for name, text in edit.items():
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    commit("feature")


def test_a_new_call_through_an_old_client_reports_the_old_constructor(repo: Path) -> None:
    """ANT401 is reported at line 3, which the branch never touched: the call that causes it is new."""
    on_feature({"app.py": CLIENT + ASK + SAFE + QUICK})
    expected = f"app.py:3:10: {ANT401.format(line=18)}\nFound 1 problem (0 errors, 1 warning) in 1 file.\n"
    assert run("--diff-base", "main") == (1, expected, "")
    # Without --diff-base the legacy finding is there too; with it, it is old.
    assert run()[1].splitlines()[:2] == [f"app.py:3:10: {ANT401.format(line=18)}", f"legacy.py:2:35: {ANT402}"]


def test_a_new_broad_handler_above_an_old_specific_one_is_reported(repo: Path) -> None:
    """ANT201 is reported at the old `except RateLimitError` line; the new line is the one above it."""
    on_feature({"app.py": CLIENT + ASK + SAFE.replace("    except anthropic.RateLimitError", BROAD + "    except anthropic.RateLimitError")})
    expected = f"app.py:15:12: {ANT201.format(line=13)}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n[*] 1 fixable with --fix.\n"
    assert run("--diff-base", "main") == (1, expected, "")


def test_an_old_finding_on_an_unchanged_line_is_not_reported(repo: Path) -> None:
    """legacy.py changes around its old finding (lines above, a new function below): nothing new."""
    on_feature({"legacy.py": '"""Legacy."""\n\n' + OLD_BAD + "\n\ndef helper():\n    return 1\n"})
    assert run("--diff-base", "main") == (0, CLEAN.format(n=2, s="s"), "")
    assert run()[0] == 1


def test_a_second_copy_of_an_old_mistake_is_new(repo: Path) -> None:
    """Matched with counts, as a baseline matches: one old copy accounts for one finding. Which
    copy is the new one cannot be known (fingerprints carry no line): the later one is reported."""
    on_feature({"legacy.py": OLD_BAD + "again = anthropic.Anthropic(timeout=None)\n"})
    assert run("--diff-base", "main") == (1, f"legacy.py:3:37: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n", "")


def test_uncommitted_and_untracked_changes_count(repo: Path) -> None:
    (repo / "app.py").write_text(CLIENT + ASK + SAFE + QUICK)  # not committed
    (repo / "pkg").mkdir()
    (repo / "pkg" / "fresh.py").write_text(OLD_BAD)  # untracked: new in full
    code, out, _ = run("--diff-base", "main")
    assert code == 1
    assert out == (
        f"app.py:3:10: {ANT401.format(line=18)}\n"
        f"pkg/fresh.py:2:35: {ANT402}\n"
        "Found 2 problems (1 error, 1 warning) in 2 files.\n"
    )


def test_renamed_files_keep_their_old_findings(repo: Path) -> None:
    """Renames as git finds them (`--find-renames`: at least half the content unchanged): the old
    findings are matched at the new path; only the new one is reported."""
    git("checkout", "-q", "-b", "feature")
    (repo / "clients").mkdir()
    git("mv", "legacy.py", "clients/legacy_client.py")
    git("mv", "app.py", "service.py")
    commit("pure renames")
    assert run("--diff-base", "main") == (0, CLEAN.format(n=2, s="s"), "")
    (repo / "service.py").write_text(CLIENT + ASK + SAFE + QUICK)
    commit("rename with an edit")
    renames = [line.split("\t") for line in git("diff", "--name-status", "--find-renames", "main").splitlines()]
    assert [(status[0], *names) for status, *names in renames] == [
        ("R", "legacy.py", "clients/legacy_client.py"),
        ("R", "app.py", "service.py"),
    ]
    assert run("--diff-base", "main") == (1, f"service.py:3:10: {ANT401.format(line=18)}\nFound 1 problem (0 errors, 1 warning) in 1 file.\n", "")


def test_the_base_version_is_checked_at_the_working_tree_path(repo: Path) -> None:
    """A file moved out of a directory whose findings are ignored: its old findings stay old, because
    the base version is checked with the configuration of the path it has now."""
    (repo / "pyproject.toml").write_text('[tool.auditor]\nper-file-ignores = { "scripts/*" = ["ANT402"] }\n')
    (repo / "scripts").mkdir()
    git("mv", "legacy.py", "scripts/legacy.py")
    commit("legacy in scripts")
    git("checkout", "-q", "-b", "feature")
    git("mv", "scripts/legacy.py", "legacy.py")
    (repo / "legacy.py").write_text(OLD_BAD + "x = 1\n")
    commit("out of scripts, edited")
    assert run()[1].splitlines()[0] == f"legacy.py:2:35: {ANT402}"
    assert run("--diff-base", "main") == (0, CLEAN.format(n=2, s="s"), "")


def test_a_deleted_file_and_an_added_file(repo: Path) -> None:
    git("checkout", "-q", "-b", "feature")
    git("rm", "-q", "legacy.py")
    (repo / "new.py").write_text("import anthropic\n\n\ndef build():\n    return anthropic.Anthropic(timeout=None)\n")
    commit("replace legacy.py")
    assert run("--diff-base", "main") == (1, f"new.py:5:40: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n", "")


def test_the_base_is_the_merge_base_not_the_tip_of_ref(repo: Path) -> None:
    """main fixes legacy.py and adds a mistake after the branch point: neither is the branch's doing."""
    git("checkout", "-q", "-b", "feature")
    git("checkout", "-q", "main")
    (repo / "legacy.py").write_text("import anthropic\nold = anthropic.Anthropic(timeout=30)\n")
    (repo / "later.py").write_text(OLD_BAD)
    commit("on main")
    git("checkout", "-q", "feature")
    (repo / "other.py").write_text("x = 1\n")
    commit("on feature")
    assert run("--diff-base", "main") == (0, CLEAN.format(n=3, s="s"), "")


def test_with_a_baseline_a_finding_is_reported_only_if_neither_accounts_for_it(repo: Path) -> None:
    run("--write-baseline", "baseline.json")
    commit("baseline")
    on_feature({"legacy.py": OLD_BAD + "again = anthropic.Anthropic(timeout=None)\n", "app.py": CLIENT + ASK + SAFE + QUICK})
    code, out, _ = run("--diff-base", "main", "--baseline", "baseline.json")
    assert code == 1
    assert out == (
        f"app.py:3:10: {ANT401.format(line=18)}\n"
        f"legacy.py:3:37: {ANT402}\n"
        "Found 2 problems (1 error, 1 warning) in 2 files. (1 hidden by the baseline)\n"
    )


def auditor(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS")}
    command = [sys.executable, "-m", "auditor", "check", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120)


def test_the_same_results_from_the_repository_root_and_from_a_sub_directory(repo: Path) -> None:
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_text(CLIENT + ASK)
    commit("pkg")
    on_feature({"pkg/mod.py": CLIENT + ASK + QUICK, "app.py": CLIENT + ASK + SAFE + QUICK})
    from_root = auditor(repo, "pkg", "--diff-base", "main", "--output-format", "json")
    from_pkg = auditor(repo / "pkg", "--diff-base", "main", "--output-format", "json")
    assert (from_root.returncode, from_root.stderr) == (1, "")
    assert [(f["path"], f["code"], f["start"]["line"]) for f in json.loads(from_root.stdout)] == [("pkg/mod.py", "ANT401", 3)]
    assert from_pkg.stdout == from_root.stdout and from_pkg.returncode == 1
    whole_from_root = auditor(repo, "--diff-base", "main", "--output-format", "json")
    whole_from_pkg = auditor(repo / "pkg", "..", "--diff-base", "main", "--output-format", "json")
    assert [(f["path"], f["code"]) for f in json.loads(whole_from_root.stdout)] == [("app.py", "ANT401"), ("pkg/mod.py", "ANT401")]
    assert whole_from_pkg.stdout == whole_from_root.stdout
    # Text shows paths from the working directory, so that a terminal can open them.
    text = auditor(repo / "pkg", "--diff-base", "main", "--output-format", "concise")
    assert text.stdout.splitlines()[0].startswith("mod.py:3:10: ANT401 ")


def test_a_shallow_clone_without_the_merge_base_says_what_to_fetch(repo: Path, tmp_path: Path) -> None:
    on_feature({"app.py": CLIENT + ASK + SAFE + QUICK})
    git("checkout", "-q", "main")
    (repo / "later.py").write_text("x = 1\n")
    commit("main moves on")
    clone = tmp_path / "clone"
    git("clone", "-q", "--depth", "1", "--no-single-branch", "--branch", "feature", repo.as_uri(), str(clone))
    done = auditor(clone, "--diff-base", "origin/main")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "auditor: error: 'origin/main' and HEAD have no common ancestor in this shallow clone: fetch the history"
        " (`git fetch --unshallow`, or `fetch-depth: 0` for actions/checkout)\n"
    )
    missing = auditor(clone, "--diff-base", "origin/nowhere")
    assert missing.returncode == 2
    assert missing.stderr == (
        f"auditor: error: unknown revision 'origin/nowhere' in {clone.resolve()}, a shallow clone: fetch it too, or fetch"
        " the history (`git fetch --unshallow`, or `fetch-depth: 0` for actions/checkout)\n"
    )
    git("fetch", "-q", "--unshallow", cwd=clone)
    fetched = auditor(clone, "--diff-base", "origin/main", "--output-format", "concise")
    assert (fetched.returncode, fetched.stdout.splitlines()[0]) == (1, f"app.py:3:10: {ANT401.format(line=18)}")


@pytest.mark.parametrize(
    "diff_config",
    ["\tnoprefix = true\n\trelative = true\n\trenames = false\n", "\tmnemonicPrefix = true\n\texternal = false\n"],
    ids=["noprefix", "mnemonic"],
)
def test_hostile_git_configuration_does_not_change_the_answer(repo: Path, diff_config: str) -> None:
    config = Path(os.environ["GIT_CONFIG_GLOBAL"])
    config.write_text(config.read_text() + f"[diff]\n{diff_config}[color]\n\tdiff = always\n\tui = always\n[core]\n\tquotePath = false\n")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "caf\u00e9 mod.py").write_text(OLD_BAD)
    commit("pkg")
    git("checkout", "-q", "-b", "feature")
    git("mv", "pkg/caf\u00e9 mod.py", "pkg/th\u00e9 mod.py")
    (repo / "pkg" / "th\u00e9 mod.py").write_text(OLD_BAD + "new = anthropic.Anthropic(timeout=None)\n")
    assert run("--diff-base", "main") == (1, f"pkg/th\u00e9 mod.py:3:35: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n", "")


def test_a_configuration_file_outside_the_repository(repo: Path, tmp_path: Path) -> None:
    """`--config` makes its directory the project root; the repository is still the files' own."""
    (tmp_path / "shared.toml").write_text("select = [\"ANT4\"]\n")
    on_feature({"app.py": CLIENT + ASK + SAFE + QUICK})
    code, out, err = run("--config", str(tmp_path / "shared.toml"), "--diff-base", "main")
    assert (code, err) == (1, "")
    assert out == f"app.py:3:10: {ANT401.format(line=18)}\nFound 1 problem (0 errors, 1 warning) in 1 file.\n"


def test_outside_a_repository_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(OLD_BAD)
    code, out, err = run("--diff-base", "main")
    assert (code, out) == (2, "")
    assert err == f"auditor: error: --diff-base needs a git repository: {tmp_path.resolve()} is not a git repository (or inside one)\n"


def test_an_unknown_revision_is_a_usage_error(repo: Path) -> None:
    code, out, err = run("--diff-base", "no-such-branch")
    assert (code, out) == (2, "")
    assert err == f"auditor: error: unknown revision 'no-such-branch': no commit of that name in {repo.resolve()}\n"
    assert run("--diff-base", "--help")[2] == "auditor: error: unknown revision '--help'\n"


def test_a_repository_without_commits_is_a_usage_error(repo: Path) -> None:
    git("checkout", "-q", "--orphan", "empty")
    code, _, err = run("--diff-base", "main")
    assert code == 2
    assert err == f"auditor: error: HEAD of {repo.resolve()} has no commit yet, so there is nothing to compare 'main' with\n"


def test_missing_git_is_a_usage_error(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert run("--diff-base", "main") == (2, "", "auditor: error: --diff-base needs git, and no `git` command was found on PATH\n")
