"""`--diff-base REF`: only findings on lines a change adds or edits, in throwaway git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import hermetic_git

from auditor.cli import main
from auditor.diff_lines import DiffError, changed_lines, parse_diff, touches_changed_lines
from auditor.findings import Finding, Severity, Span

OLD = "import anthropic\nold = anthropic.Anthropic(timeout=None)\n"
NEW_LINE = "new = anthropic.Anthropic(timeout=None)\n"
ANT402 = (
    "ANT402 timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever."
    " Set a finite timeout such as timeout=60.0, and stream long generations"
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose `main` branch has one commit: app.py with one old bad call."""
    hermetic_git(tmp_path, monkeypatch)
    monkeypatch.delenv("AUDITOR_OUTPUT_FORMAT", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    git("init", "-q")
    (root / ".gitignore").write_text(".auditor_cache/\n")
    (root / "app.py").write_text(OLD)
    commit("first")
    git("branch", "-M", "main")
    return root


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def commit(message: str) -> None:
    git("add", "-A")
    git("commit", "-q", "-m", message)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", "--output-format", "concise", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_only_the_new_finding_is_reported(repo: Path) -> None:
    git("checkout", "-q", "-b", "feature")
    (repo / "app.py").write_text(OLD + NEW_LINE)
    commit("second")
    assert run("--diff-base", "main") == (
        1,
        f"app.py:3:35: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n",
        "",
    )
    code, out, _ = run()
    assert code == 1
    assert [line.split(" ANT")[0] for line in out.splitlines()[:-1]] == ["app.py:2:35:", "app.py:3:35:"]


def test_uncommitted_edits_count(repo: Path) -> None:
    (repo / "app.py").write_text(OLD.replace("import anthropic\n", "import anthropic\n" + NEW_LINE))
    assert run("--diff-base", "main") == (
        1,
        f"app.py:2:35: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n",
        "",
    )


def test_a_pure_deletion_reports_nothing(repo: Path) -> None:
    (repo / "app.py").write_text(OLD + NEW_LINE + "x = 1\n")
    commit("more")
    (repo / "app.py").write_text(OLD + NEW_LINE)  # deletes `x = 1`, below two old bad calls
    assert run("--diff-base", "HEAD") == (0, "All checks passed: no problems in 1 file.\n", "")


def test_an_untracked_file_is_entirely_new(repo: Path) -> None:
    (repo / "pkg").mkdir()
    (repo / "pkg" / "fresh.py").write_text(OLD + NEW_LINE)
    code, out, _ = run("--diff-base", "main")
    assert code == 1
    assert out == f"pkg/fresh.py:2:35: {ANT402}\npkg/fresh.py:3:35: {ANT402}\nFound 2 problems (2 errors, 0 warnings) in 1 file.\n"


def test_a_renamed_file_counts_only_its_changed_lines(repo: Path) -> None:
    git("mv", "app.py", "service.py")
    (repo / "service.py").write_text(OLD + NEW_LINE)
    assert run("--diff-base", "main") == (
        1,
        f"service.py:3:35: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n",
        "",
    )


def test_the_diff_starts_at_the_merge_base_not_at_the_tip_of_ref(repo: Path) -> None:
    """Lines that changed on main after the branch point are not the branch's doing."""
    git("checkout", "-q", "-b", "feature")
    git("checkout", "-q", "main")
    (repo / "app.py").write_text(OLD.replace("old =", "older ="))
    commit("on main")
    git("checkout", "-q", "feature")
    (repo / "other.py").write_text("x = 1\n")
    commit("on feature")
    assert run("--diff-base", "main") == (0, "All checks passed: no problems in 2 files.\n", "")


def test_paths_resolve_from_a_subdirectory(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_text(OLD)
    commit("pkg")
    (repo / "pkg" / "mod.py").write_text(OLD + NEW_LINE)
    monkeypatch.chdir(repo / "pkg")
    assert run("--diff-base", "HEAD") == (
        1,
        f"mod.py:3:35: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n",
        "",
    )


def test_a_parse_error_counts_when_its_file_changed_at_all(repo: Path) -> None:
    """Deleting a closing bracket breaks the file at a line the diff does not touch."""
    (repo / "broken.py").write_text("import anthropic\nx = anthropic.Anthropic(\n    timeout=30,\n)\n")
    (repo / "untouched.py").write_text("import anthropic\nx = (\n")
    commit("brackets")
    (repo / "broken.py").write_text("import anthropic\nx = anthropic.Anthropic(\n    timeout=30,\n")
    code, out, _ = run("--diff-base", "HEAD")
    assert code == 1
    assert out == "broken.py:2:24: ANT000 syntax error: '(' was never closed\nFound 1 problem (1 error, 0 warnings) in 1 file.\n"


@pytest.mark.parametrize(
    "diff_config",
    ["\tnoprefix = true\n\trelative = true\n", "\tmnemonicPrefix = true\n\texternal = false\n"],
    ids=["noprefix", "mnemonic"],
)
def test_hostile_git_configuration_does_not_change_the_answer(repo: Path, diff_config: str) -> None:
    config = Path(git("config", "--global", "--show-origin", "--get", "user.name").split("\t")[0].removeprefix("file:"))
    config.write_text(
        config.read_text()
        + f"[diff]\n{diff_config}"
        + "[color]\n\tdiff = always\n\tui = always\n[core]\n\tquotePath = false\n"
    )
    (repo / "pkg").mkdir()
    (repo / "pkg" / "caf\u00e9 mod.py").write_text(OLD)
    commit("pkg")
    (repo / "pkg" / "caf\u00e9 mod.py").write_text(OLD + NEW_LINE)
    (repo / "app.py").write_text(OLD + "++ 1  # shown as `+++ 1` in the diff\n" + NEW_LINE)
    code, out, _ = run("--diff-base", "HEAD")
    assert code == 1
    assert [line.split(" ANT")[0] for line in out.splitlines()] == [
        "app.py:4:35:",
        "pkg/caf\u00e9 mod.py:3:35:",
        "Found 2 problems (2 errors, 0 warnings) in 2 files.",
    ]


def test_outside_a_repository_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(OLD)
    code, out, err = run("--diff-base", "main")
    assert (code, out) == (2, "")
    assert err == f"auditor: error: --diff-base needs a git repository: {Path.cwd()} is not a git repository (or inside one)\n"


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


def test_parse_diff_reads_hunks_by_their_counts(tmp_path: Path) -> None:
    diff = (
        "diff --git a/a.py b/a.py\n"
        "--- a/a.py\n"
        "+++ b/a.py\n"
        "@@ -1,0 +2,2 @@\n"
        "+++ not a header\n"
        "+--- nor this\n"
        "@@ -10 +11 @@ def f():\n"
        "-x\n"
        "+y\n"
        "@@ -20,3 +21,0 @@\n"
        "-a\n"
        "-b\n"
        "-c\n"
        "diff --git a/gone.py b/gone.py\n"
        "deleted file mode 100644\n"
        "--- a/gone.py\n"
        "+++ /dev/null\n"
        "@@ -1,2 +0,0 @@\n"
        "-+++ b/fake.py\n"
        "-@@ -1 +1,5 @@\n"
        "diff --git a/pic.png b/pic.png\n"
        "Binary files a/pic.png and b/pic.png differ\n"
        'diff --git "a/caf\\303\\251 x.py" "b/caf\\303\\251 x.py"\n'
        '--- "a/caf\\303\\251 x.py"\t\n'
        '+++ "b/caf\\303\\251 x.py"\t\n'
        "@@ -1 +1 @@\n"
        "-a\n"
        "+b\n"
        "\\ No newline at end of file\n"
    )
    top = tmp_path.resolve()
    assert parse_diff(diff, top) == {top / "a.py": {2, 3, 11}, top / "caf\u00e9 x.py": {1}}


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (Span(3, 1, 3, 5), True),
        (Span(1, 1, 2, 9), False),
        (Span(1, 1, 3, 1), False),  # ends at the very start of line 3: does not reach into it
        (Span(2, 5, 4, 2), True),
        (Span(4, 1, 4, 2), False),
    ],
)
def test_a_finding_touches_changed_lines_by_its_span(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, span: Span, expected: bool) -> None:
    monkeypatch.chdir(tmp_path)
    finding = Finding("ANT402", "name", Severity.ERROR, "m", "app.py", span)
    changed = {(tmp_path / "app.py").resolve(): {3}}
    assert touches_changed_lines(finding, changed) is expected
    assert touches_changed_lines(Finding("ANT402", "name", Severity.ERROR, "m", "other.py", span), changed) is False
    whole_file = Finding("ANT000", "name", Severity.ERROR, "m", "app.py", Span(1, 1, 1, 1))
    assert touches_changed_lines(whole_file, changed) is True
    assert touches_changed_lines(whole_file, {(tmp_path / "app.py").resolve(): set()}) is True


def test_changed_lines_raises_diff_error_not_git_errors(repo: Path) -> None:
    with pytest.raises(DiffError, match="unknown revision 'v9'"):
        changed_lines("v9", repo)
    assert changed_lines("main", repo / ".") == {}
