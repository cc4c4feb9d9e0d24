"""The GitHub Action: action.yml, and the script it runs (scripts/github-action.sh), run here
with bash exactly as the action's step does, with the already installed auditor."""

from __future__ import annotations

import json
import os
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


def run_action(project: Path, summary: Path | None = None, **inputs: str) -> subprocess.CompletedProcess[str]:
    """Run the action's script in `project`, as GitHub would, with INPUT_* from `inputs`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INPUT_", "GITHUB_", "AUDITOR_", "RUNNER_")) and k != "NO_COLOR"
    }
    # The installed auditor (normally the one beside this interpreter) comes first on PATH.
    assert AUDITOR is not None
    env["PATH"] = os.pathsep.join([str(AUDITOR.parent), env.get("PATH", "")])
    env["AUDITOR_ACTION_SKIP_INSTALL"] = "1"
    env["INPUT_PYTHON"] = sys.executable
    env["GITHUB_ACTIONS"] = "true"
    env["GITHUB_WORKSPACE"] = str(project)  # the checkout, where the runner resolves annotation paths
    if summary is not None:
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    for name, value in inputs.items():
        env[f"INPUT_{name.upper()}"] = value
    return subprocess.run([BASH, str(SCRIPT)], cwd=project, env=env, capture_output=True, text=True, timeout=120)


def make_project(tmp_path: Path, source: str) -> Path:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "llm.py").write_text(source)
    (project / "app" / "util.py").write_text(GOOD)
    return project


def test_action_yml_is_a_composite_action_running_the_script() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["name"] and action["description"]
    assert set(action["inputs"]) == {"paths", "args", "sarif-file", "python"}
    assert action["inputs"]["paths"]["default"] == "."
    assert action["inputs"]["args"]["default"] == ""
    assert action["inputs"]["python"]["default"] == "python3"
    assert action["runs"]["using"] == "composite"
    (step,) = action["runs"]["steps"]
    assert step["shell"] == "bash"
    assert "scripts/github-action.sh" in step["run"]
    assert "${{" not in step["run"], "inputs go through env:, never into the script text"
    assert step["env"] == {
        "INPUT_PATHS": "${{ inputs.paths }}",
        "INPUT_ARGS": "${{ inputs.args }}",
        "INPUT_SARIF_FILE": "${{ inputs.sarif-file }}",
        "INPUT_PYTHON": "${{ inputs.python }}",
    }


@needs_bash_and_auditor
def test_findings_give_annotations_summary_sarif_and_exit_1(tmp_path: Path) -> None:
    project = make_project(tmp_path, BAD)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    done = run_action(project, summary, paths="app", sarif_file="reports/auditor.sarif")

    assert done.returncode == 1, done.stdout + done.stderr
    annotations = [line for line in done.stdout.splitlines() if line.startswith(("::error ", "::warning "))]
    assert len(annotations) == 1, done.stdout
    assert annotations[0].startswith("::error file=app/llm.py,line=3,col=38,"), annotations
    assert "ANT402" in annotations[0]

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
def test_usage_errors_exit_2(tmp_path: Path) -> None:
    project = make_project(tmp_path, BAD)
    summary = tmp_path / "summary.md"
    unknown_option = run_action(project, summary, args="--no-such-option")
    assert unknown_option.returncode == 2, unknown_option.stdout + unknown_option.stderr
    assert not summary.exists(), "no reports after a usage error"

    unclosed_quote = run_action(project, args="--select 'ANT4")
    assert unclosed_quote.returncode == 2, unclosed_quote.stdout + unclosed_quote.stderr
    assert "::error title=auditor::cannot split into arguments" in unclosed_quote.stdout


@needs_bash_and_auditor
def test_a_report_that_cannot_be_written_is_an_error_but_keeps_findings(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    clean = run_action(make_project(tmp_path / "clean", GOOD), sarif_file=str(blocker / "auditor.sarif"))
    assert clean.returncode == 2, clean.stdout + clean.stderr
    assert "::error title=auditor::" in clean.stdout

    dirty = run_action(make_project(tmp_path / "dirty", BAD), sarif_file=str(blocker / "auditor.sarif"))
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
