"""The GitHub Action: action.yml, and the script it runs (scripts/github-action.sh), run here
with bash exactly as the action's step does, with the already installed auditor."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "github-action.sh"
BASH = shutil.which("bash")

BAD = "import anthropic\n\nclient = anthropic.Anthropic(timeout=None)\n"
GOOD = "import anthropic\n\nclient = anthropic.Anthropic(timeout=30.0, max_retries=2)\n"



def _installed_auditor() -> Path | None:
    beside = Path(sys.executable).with_name("auditor")
    if beside.is_file():
        return beside
    found = shutil.which("auditor")
    return Path(found) if found else None


AUDITOR = _installed_auditor()
needs_bash_and_auditor = pytest.mark.skipif(
    BASH is None or AUDITOR is None, reason="needs bash, and the auditor console script (pip install -e .)"
)


def run_action(
    project: Path, summary: Path | None = None, install: Path | None = None, env_extra: dict[str, str] | None = None, **inputs: str
) -> subprocess.CompletedProcess[str]:
    """Run the action's script in `project`, as GitHub would, with INPUT_* from `inputs`. With
    `install`, the script installs auditor into that virtualenv as the action does; without, it
    uses the installed auditor."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INPUT_", "GITHUB_", "AUDITOR_", "RUNNER_")) and k != "NO_COLOR"
    }
    # The installed auditor (normally the one beside this interpreter) comes first on PATH.
    assert AUDITOR is not None
    env["PATH"] = os.pathsep.join([str(AUDITOR.parent), env.get("PATH", "")])
    if install is None:
        env["AUDITOR_ACTION_SKIP_INSTALL"] = "1"
    else:
        env["AUDITOR_ACTION_VENV"] = str(install)
    env["INPUT_PYTHON"] = sys.executable
    env["GITHUB_ACTIONS"] = "true"
    env["GITHUB_WORKSPACE"] = str(project)  # the checkout, where the runner resolves annotation paths
    if summary is not None:
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    env.update(env_extra or {})
    for name, value in inputs.items():
        env[f"INPUT_{name.upper()}"] = value
    return subprocess.run([BASH, str(SCRIPT)], cwd=project, env=env, capture_output=True, text=True, timeout=600)


def annotations(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("::error ", "::warning "))]


def make_project(tmp_path: Path, source: str) -> Path:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "llm.py").write_text(source)
    (project / "app" / "util.py").write_text(GOOD)
    return project


def test_action_yml_is_a_composite_action_running_the_script() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["name"] and action["description"]
    assert set(action["inputs"]) == {"paths", "args", "sarif-file", "python", "version"}
    assert action["inputs"]["paths"]["default"] == "."
    assert action["inputs"]["args"]["default"] == ""
    assert action["inputs"]["python"]["default"] == "python3"
    assert action["inputs"]["version"]["default"] == ""
    assert action["runs"]["using"] == "composite"
    environment, cache, check = action["runs"]["steps"]
    assert environment["id"] == "environment" and environment["shell"] == "bash"
    assert environment["run"] == 'bash "$GITHUB_ACTION_PATH/scripts/github-action.sh" --environment >> "$GITHUB_OUTPUT"'
    assert environment["env"] == {"INPUT_PYTHON": "${{ inputs.python }}", "INPUT_VERSION": "${{ inputs.version }}"}
    assert cache["uses"] == "actions/cache@v4"
    assert cache["with"] == {"path": "${{ steps.environment.outputs.venv }}", "key": "${{ steps.environment.outputs.key }}"}
    assert check["shell"] == "bash"
    assert check["run"] == 'bash "$GITHUB_ACTION_PATH/scripts/github-action.sh"'
    for step in (environment, check):
        assert "${{" not in step["run"], "inputs go through env:, never into the script text"
    assert check["env"] == {
        "INPUT_PATHS": "${{ inputs.paths }}",
        "INPUT_ARGS": "${{ inputs.args }}",
        "INPUT_SARIF_FILE": "${{ inputs.sarif-file }}",
        "INPUT_PYTHON": "${{ inputs.python }}",
        "INPUT_VERSION": "${{ inputs.version }}",
        "AUDITOR_ACTION_VENV": "${{ steps.environment.outputs.venv }}",
    }


def environment(tmp_path: Path, **inputs: str) -> dict[str, str]:
    """What the action's first step writes to $GITHUB_OUTPUT, as a dict."""
    assert BASH is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "AUDITOR_", "RUNNER_"))}
    env.update(RUNNER_TEMP=str(tmp_path), INPUT_PYTHON=sys.executable, **{f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    done = subprocess.run([BASH, str(SCRIPT), "--environment"], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_the_environment_key_names_the_version_and_changes_with_it(tmp_path: Path) -> None:
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version is not None
    python = f"py{sys.version_info[0]}.{sys.version_info[1]}"
    checkout = environment(tmp_path)
    assert checkout["venv"] == str(tmp_path / "auditor-action-venv")
    assert re.fullmatch(rf"auditor-{re.escape(version[1])}-checkout-{python}-[0-9a-f]{{16}}", checkout["key"]), checkout
    assert environment(tmp_path) == checkout, "the same inputs give the same key"
    release = environment(tmp_path, version="0.2.0")
    assert re.fullmatch(rf"auditor-0\.2\.0-{python}-[0-9a-f]{{16}}", release["key"]), release


@needs_bash_and_auditor
def test_findings_give_annotations_summary_sarif_and_exit_1(tmp_path: Path) -> None:
    project = make_project(tmp_path, BAD)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    done = run_action(project, summary, paths="app", sarif_file="reports/auditor.sarif")

    assert done.returncode == 1, done.stdout + done.stderr
    found = annotations(done.stdout)
    assert len(found) == 1, done.stdout
    assert found[0].startswith("::error file=app/llm.py,line=3,col=38,"), found
    assert "ANT402" in found[0]

    text = summary.read_text()
    assert text.startswith("earlier step\n"), "the summary is appended to, never overwritten"
    assert "| ANT402 | timeout-disabled | error | 1 |" in text
    assert "app/llm.py" in text

    sarif = json.loads((project / "reports" / "auditor.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    assert [result["ruleId"] for result in run["results"]] == ["ANT402"]


@needs_bash_and_auditor
def test_clean_project_exits_0(tmp_path: Path) -> None:
    project = make_project(tmp_path, GOOD)
    summary = tmp_path / "summary.md"
    done = run_action(project, summary, sarif_file="auditor.sarif")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "::error" not in done.stdout and "::warning" not in done.stdout
    assert "No problems found" in summary.read_text()
    assert json.loads((project / "auditor.sarif").read_text())["runs"][0]["results"] == []


@needs_bash_and_auditor
def test_extra_args_are_passed_and_reports_are_optional(tmp_path: Path) -> None:
    project = make_project(tmp_path, BAD)
    ignored = run_action(project, args="--ignore ANT402")
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr

    # The action's own --output-format comes after the user's arguments and wins.
    selected = run_action(project, args="--select 'ANT401,ANT402' --output-format full")
    assert selected.returncode == 1, selected.stdout + selected.stderr
    assert selected.stdout.startswith("::error file=app/llm.py,line=3,"), selected.stdout
    assert not list(project.rglob("*.sarif")), "no SARIF file unless asked for"


@needs_bash_and_auditor
def test_usage_errors_become_an_annotation_and_a_summary_line(tmp_path: Path) -> None:
    project = make_project(tmp_path, BAD)
    summary = tmp_path / "summary.md"
    unknown_option = run_action(project, summary, args="--no-such-option")
    assert (unknown_option.returncode, unknown_option.stdout) == (2, "::error title=auditor::No such option '--no-such-option'.\n")
    assert "Try 'auditor check --help' for help." in unknown_option.stderr, "auditor's own message stays in the log"
    assert summary.read_text() == "**auditor error:** No such option '--no-such-option'.\n\n", "and no report after it"

    summary.unlink()
    (project / "pyproject.toml").write_text('[tool.auditor]\nfail-on = "never"\n')
    bad_config = run_action(project, summary)
    message = "pyproject.toml: [tool.auditor] fail-on: expected one of error, warning, got 'never'"
    assert (bad_config.returncode, bad_config.stdout) == (2, f"::error title=auditor::{message}\n")
    assert summary.read_text() == f"**auditor error:** {message}\n\n"

    unclosed_quote = run_action(project, args="--select 'ANT4")
    assert unclosed_quote.returncode == 2, unclosed_quote.stdout + unclosed_quote.stderr
    assert unclosed_quote.stdout == "::error title=auditor::cannot split into arguments: --select 'ANT4\n"


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_a_bad_version_is_a_usage_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, GOOD)
    summary = tmp_path / "summary.md"
    done = run_action(project, summary, install=tmp_path / "venv", version="1.0 --index-url http://x")
    message = "version '1.0 --index-url http://x' is not a release version such as 0.2.0 (leave it empty to use the action's own checkout)"
    assert (done.returncode, done.stdout) == (2, f"::error title=auditor::{message}\n")
    assert summary.read_text() == f"**auditor error:** {message}\n\n"
    assert not (tmp_path / "venv").exists()


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_a_directory_the_action_did_not_make_is_never_replaced(tmp_path: Path) -> None:
    project = make_project(tmp_path, GOOD)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me\n")
    done = run_action(project, install=mine)
    assert (done.returncode, done.stdout) == (
        2,
        f"::error title=auditor::{mine} exists and was not made by this action: not replacing it (set AUDITOR_ACTION_VENV)\n",
    )
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


@needs_bash_and_auditor
def test_the_action_installs_auditor_once_and_reuses_its_environment(tmp_path: Path) -> None:
    """A real install from this checkout (pip, from the package registry), then a warm run that
    installs nothing: what actions/cache restores between jobs."""
    project = make_project(tmp_path, BAD)
    venv = tmp_path / "runner-temp" / "auditor-action-venv"
    first = run_action(project, install=venv, paths="app")
    assert first.returncode == 1, first.stdout + first.stderr
    assert annotations(first.stdout) == [
        "::error file=app/llm.py,line=3,col=38,endLine=3,endColumn=42,title=ANT402 timeout-disabled::ANT402 timeout None"
        " on Anthropic(): this disables the timeout, so a stalled request waits forever%0Ahelp: Set a finite timeout such as"
        " timeout=60.0, and stream long generations"
    ]
    key = environment(tmp_path / "runner-temp")["key"]
    assert (venv / ".auditor-action-key").read_text() == key + "\n"
    assert (venv / "bin" / "auditor").is_file()
    assert "using the cached environment" not in first.stderr

    second = run_action(project, install=venv, paths="app")
    assert (second.returncode, second.stdout) == (1, first.stdout)
    assert second.stderr.startswith(f"auditor: using the cached environment {venv}\n")


def git_repository(project: Path) -> dict[str, str]:
    """Make `project` a repository whose `main` (also `origin/main`, as a checkout with
    fetch-depth: 0 has it) holds three legacy findings; return the hermetic git environment."""
    config = project.parent / "gitconfig"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.com\n[commit]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n")
    env = {"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CEILING_DIRECTORIES": str(project.parent)}
    plain = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, env={**plain, **env}, check=True, capture_output=True)

    (project / ".gitignore").write_text(".auditor_cache/\n")
    (project / "app" / "legacy.py").write_text("import anthropic\n\na = anthropic.Anthropic(timeout=None)\nb = anthropic.Anthropic(timeout=None, max_retries=1)\n")
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "legacy")
    git("update-ref", "refs/remotes/origin/main", "HEAD")
    git("checkout", "-q", "-b", "feature")
    (project / "app" / "zz_new.py").write_text("import anthropic\n\nclient = anthropic.Anthropic(timeout=None)\n")
    git("add", "-A")
    git("commit", "-q", "-m", "feature")
    return env


@needs_bash_and_auditor
def test_on_a_pull_request_its_own_findings_are_annotated_first(tmp_path: Path) -> None:
    project = make_project(tmp_path, BAD)
    env = git_repository(project)
    plain = run_action(project, env_extra=env)
    in_path_order = ["app/legacy.py", "app/legacy.py", "app/llm.py", "app/zz_new.py"]
    assert [line.split(",")[0].split("=")[1] for line in annotations(plain.stdout)] == in_path_order

    pull_request = {**env, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"}
    summary = tmp_path / "summary.md"
    done = run_action(project, summary, env_extra=pull_request)
    assert done.returncode == 1, done.stdout + done.stderr
    assert annotations(done.stdout) == [annotations(plain.stdout)[3], *annotations(plain.stdout)[:3]]
    assert "| ANT402 | timeout-disabled | error | 4 |" in summary.read_text(), "the summary still has every finding"

    # Without the base branch's history (the default shallow checkout): path order, and a word why.
    subprocess.run(["git", "update-ref", "-d", "refs/remotes/origin/main"], cwd=project, env={**os.environ, **env}, check=True)
    shallow = run_action(project, env_extra=pull_request)
    assert (shallow.returncode, shallow.stdout) == (1, plain.stdout)
    assert (
        "auditor: annotations are in path order: --diff-base origin/main failed (unknown revision 'origin/main': no commit"
        f" of that name in {project.resolve()}); check out with fetch-depth: 0 to annotate the pull request's own findings first\n"
    ) in shallow.stderr

    # With --diff-base among the arguments, every annotation is already the pull request's own.
    diff_only = run_action(project, env_extra=pull_request, args="--diff-base HEAD~1")
    assert annotations(diff_only.stdout) == [annotations(plain.stdout)[3]]


@needs_bash_and_auditor
def test_a_report_that_cannot_be_written_is_an_error_but_keeps_findings(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    clean = run_action(make_project(tmp_path / "clean", GOOD), sarif_file=str(blocker / "auditor.sarif"))
    assert clean.returncode == 2, clean.stdout + clean.stderr
    assert "::error title=auditor::" in clean.stdout

    dirty = run_action(make_project(tmp_path / "dirty", BAD), sarif_file=str(blocker / "auditor.sarif"))
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
