"""Baselines through the command line: record legacy findings, then report only new ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

SERVICE = (
    "import anthropic\n"
    "client = anthropic.Anthropic()\n"
    "slow = anthropic.Anthropic(timeout=None)\n"
    "def ask():\n"
    '    return client.messages.create(model="m", max_tokens=100, messages=[])\n'
)
ANT401 = "ANT401 Anthropic() and the call on line {call} set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s"
ANT402 = "ANT402 timeout None on {what}: this disables the timeout, so a stalled request waits forever"
# The same mistake can be made twice in one function: identical fingerprints.
IN_FUNCTION = (
    "import anthropic\n"
    "client = anthropic.Anthropic(timeout=30)\n"
    "def ask():\n"
    '    a = client.messages.create(model="m", max_tokens=100, messages=[], timeout=None)\n'
    "    return a\n"
)
CALL = '    {name} = client.messages.create(model="m", max_tokens=100, messages=[], timeout=None)\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root (its pyproject has a [tool.auditor] table) with one bad module."""
    (tmp_path / "pyproject.toml").write_text("[tool.auditor]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "service.py").write_text(SERVICE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUDITOR_OUTPUT_FORMAT", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def record(path: str = "app") -> None:
    assert run("check", path, "--write-baseline", "baseline.json")[0] == 0


def check(*args: str) -> tuple[int, str, str]:
    return run("check", *args, "--output-format", "concise", "--baseline", "baseline.json")


def test_write_baseline_records_every_finding(project: Path) -> None:
    code, out, err = run("check", "--write-baseline", "ci/auditor-baseline.json")
    assert (code, out, err) == (0, "Recorded 2 findings in ci/auditor-baseline.json.\n", "")
    text = (project / "ci" / "auditor-baseline.json").read_text()
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert document["version"] == 1 and document["tool"] == "auditor"
    entries = document["findings"]
    assert [(e["code"], e["path"], e["count"]) for e in entries] == [
        ("ANT401", "app/service.py", 1),
        ("ANT402", "app/service.py", 1),
    ]
    assert [list(e) for e in entries] == [["fingerprint", "code", "path", "count", "message"]] * 2
    assert entries[1]["message"] == ANT402.format(what="Anthropic()").removeprefix("ANT402 ")
    assert all(len(e["fingerprint"]) == 32 for e in entries)


def test_rewriting_an_unchanged_project_gives_the_same_file(project: Path) -> None:
    record()
    first = (project / "baseline.json").read_bytes()
    record()
    assert (project / "baseline.json").read_bytes() == first
    assert not [p.name for p in project.iterdir() if p.name.endswith(".tmp")]


def test_unchanged_code_is_all_hidden(project: Path) -> None:
    record()
    assert check() == (0, "All checks passed: no problems in 1 file. (2 hidden by the baseline)\n", "")


def test_lines_inserted_above_keep_findings_hidden(project: Path) -> None:
    record()
    (project / "app" / "service.py").write_text('"""Docs."""\n\nimport os\n\n' + SERVICE.replace("import anthropic\n", "import anthropic\n\n\n"))
    assert check() == (0, "All checks passed: no problems in 1 file. (2 hidden by the baseline)\n", "")


def test_a_repeated_mistake_is_reported_once(project: Path) -> None:
    record()
    (project / "app" / "service.py").write_text(SERVICE.replace("def ask", "slower = anthropic.Anthropic(timeout=None)\ndef ask"))
    code, out, err = check()
    assert code == 1
    assert out == (
        f"app/service.py:4:38: {ANT402.format(what='Anthropic()')}\n"
        "Found 1 problem (1 error, 0 warnings) in 1 file. (2 hidden by the baseline)\n"
    )
    assert err == ""


def test_counts_are_matched_and_the_last_duplicate_is_reported(project: Path) -> None:
    """Two identical calls in one function were baselined (count 2); a third is reported, at its line."""
    (project / "app" / "service.py").write_text(IN_FUNCTION.replace("    return", CALL.format(name="b") + "    return"))
    record()
    entries = json.loads((project / "baseline.json").read_text())["findings"]
    assert [(e["code"], e["count"]) for e in entries] == [("ANT402", 2)]
    three = IN_FUNCTION.replace("    return", CALL.format(name="b") + CALL.format(name="c") + "    return")
    (project / "app" / "service.py").write_text(three)
    code, out, _ = check()
    assert code == 1
    assert out == (
        f"app/service.py:6:80: {ANT402.format(what='messages.create()')}\n"
        "Found 1 problem (1 error, 0 warnings) in 1 file. (2 hidden by the baseline)\n"
    )


def test_the_same_mistake_in_another_function_is_new(project: Path) -> None:
    (project / "app" / "service.py").write_text(IN_FUNCTION)
    record()
    other = IN_FUNCTION + "def other():\n" + CALL.format(name="x") + "    return x\n"
    (project / "app" / "service.py").write_text(other)
    code, out, _ = check()
    assert code == 1
    assert out.splitlines()[0] == f"app/service.py:7:80: {ANT402.format(what='messages.create()')}"
    assert out.splitlines()[1:] == ["Found 1 problem (1 error, 0 warnings) in 1 file. (1 hidden by the baseline)"]


def test_fixed_mistakes_are_reported_as_stale_on_request(project: Path) -> None:
    record()
    (project / "app" / "service.py").write_text(SERVICE.replace("timeout=None", "timeout=30"))
    quiet = check()
    assert quiet == (0, "All checks passed: no problems in 1 file. (1 hidden by the baseline)\n", "")
    code, out, err = check("--report-stale-baseline")
    assert (code, out) == quiet[:2]
    assert err == "auditor: stale baseline entry: app/service.py: ANT402 (1 of 1 no longer found)\n"


def test_partly_fixed_duplicates_are_stale_by_the_difference(project: Path) -> None:
    (project / "app" / "service.py").write_text(IN_FUNCTION.replace("    return", CALL.format(name="b") + "    return"))
    record()
    (project / "app" / "service.py").write_text(IN_FUNCTION)
    code, _, err = check("--report-stale-baseline")
    assert code == 0
    assert err == "auditor: stale baseline entry: app/service.py: ANT402 (1 of 2 no longer found)\n"


def test_checking_another_file_does_not_make_entries_stale(project: Path) -> None:
    (project / "app" / "other.py").write_text(IN_FUNCTION)
    record()
    (project / "app" / "service.py").write_text("import anthropic\n")  # every entry of service.py is now stale
    assert check("app/other.py", "--report-stale-baseline") == (
        0,
        "All checks passed: no problems in 1 file. (1 hidden by the baseline)\n",
        "",
    )
    code, _, err = check("--report-stale-baseline")
    assert code == 0
    assert err.splitlines() == [
        "auditor: stale baseline entry: app/service.py: ANT401 (1 of 1 no longer found)",
        "auditor: stale baseline entry: app/service.py: ANT402 (1 of 1 no longer found)",
    ]


def test_stale_entries_can_fail_the_run(project: Path) -> None:
    record()
    assert check("--fail-on-stale-baseline") == (0, "All checks passed: no problems in 1 file. (2 hidden by the baseline)\n", "")
    (project / "app" / "service.py").write_text(SERVICE.replace("timeout=None", "timeout=30"))
    code, out, err = check("--fail-on-stale-baseline")
    assert (code, out) == (1, "All checks passed: no problems in 1 file. (1 hidden by the baseline)\n")
    assert err == "auditor: stale baseline entry: app/service.py: ANT402 (1 of 1 no longer found)\n"
    assert check("--fail-on-stale-baseline", "--exit-zero")[0] == 0


def test_prune_keeps_only_what_still_matches_and_never_adds(project: Path) -> None:
    """Two copies recorded, one fixed, ANT402 fixed, a new mistake made: pruning lowers the count,
    drops the fixed entry, and does not record the new finding, which is still reported."""
    (project / "app" / "service.py").write_text(IN_FUNCTION.replace("    return", CALL.format(name="b") + "    return"))
    (project / "app" / "other.py").write_text(SERVICE)
    record()
    before = json.loads((project / "baseline.json").read_text())["findings"]
    assert [(e["path"], e["code"], e["count"]) for e in before] == [
        ("app/other.py", "ANT401", 1),
        ("app/other.py", "ANT402", 1),
        ("app/service.py", "ANT402", 2),
    ]
    (project / "app" / "service.py").write_text(IN_FUNCTION)
    new = "def more():\n    return anthropic.Anthropic(timeout=None)\n"
    (project / "app" / "other.py").write_text(SERVICE.replace("timeout=None", "timeout=30") + new)
    code, out, err = check("--prune-baseline")
    assert code == 1
    assert out == (
        f"app/other.py:7:40: {ANT402.format(what='Anthropic()')}\n"
        "Found 1 problem (1 error, 0 warnings) in 1 file. (2 hidden by the baseline)\n"
    )
    assert err == "auditor: pruned baseline.json: 2 of 4 recorded findings no longer found\n"
    after = json.loads((project / "baseline.json").read_text())["findings"]
    assert [(e["path"], e["code"], e["count"]) for e in after] == [("app/other.py", "ANT401", 1), ("app/service.py", "ANT402", 1)]
    assert [e["fingerprint"] for e in after] == [before[0]["fingerprint"], before[2]["fingerprint"]]
    assert check("--fail-on-stale-baseline")[0] == 1  # only the new finding: nothing is stale any more
    assert check("--fail-on-stale-baseline")[2] == ""


def test_prune_leaves_unchecked_files_and_an_unchanged_baseline_alone(project: Path) -> None:
    (project / "app" / "other.py").write_text(IN_FUNCTION)
    record()
    (project / "app" / "service.py").write_text("import anthropic\n")  # its two entries are stale
    original = (project / "baseline.json").read_bytes()
    assert check("app/other.py", "--prune-baseline") == (0, "All checks passed: no problems in 1 file. (1 hidden by the baseline)\n", "")
    assert (project / "baseline.json").read_bytes() == original, "nothing stale among the checked files: untouched"
    assert check("--prune-baseline")[2] == "auditor: pruned baseline.json: 2 of 3 recorded findings no longer found\n"
    assert [e["path"] for e in json.loads((project / "baseline.json").read_text())["findings"]] == ["app/other.py"]


@pytest.mark.parametrize("option", ["--prune-baseline", "--fail-on-stale-baseline", "--report-stale-baseline"])
def test_baseline_options_need_a_baseline(project: Path, option: str) -> None:
    assert run("check", option) == (2, "", f"auditor: error: {option} needs --baseline FILE\n")


@pytest.mark.parametrize("configured", [True, False], ids=["sub-project-config", "no-config"])
def test_a_baseline_written_in_a_sub_project_matches_from_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: bool
) -> None:
    """One root, found from the checked paths: the sub-project's configuration, else the git top
    level. The baseline's paths are relative to it wherever auditor starts, so the baseline written
    in the sub-project matches when CI or pre-commit (naming files) run from the repository root."""
    repo = tmp_path / "repo"
    bot = repo / "services" / "bot"
    (bot / "app").mkdir(parents=True)
    (repo / ".git").mkdir()  # the repository's top level, as the root search sees it
    if configured:
        (bot / "pyproject.toml").write_text("[tool.auditor]\n")
    (bot / "app" / "service.py").write_text(SERVICE)
    monkeypatch.chdir(bot)
    assert run("check", "--write-baseline", "auditor-baseline.json")[0] == 0
    recorded = json.loads((bot / "auditor-baseline.json").read_text())["findings"]
    prefix = "" if configured else "services/bot/"
    assert [e["path"] for e in recorded] == [f"{prefix}app/service.py"] * 2

    monkeypatch.chdir(repo)
    hidden = "All checks passed: no problems in 1 file. (2 hidden by the baseline)\n"
    baseline = "services/bot/auditor-baseline.json"
    for target in ("services/bot", "services/bot/app/service.py"):
        assert run("check", target, "--baseline", baseline, "--fail-on-stale-baseline") == (0, hidden, "")
    monkeypatch.chdir(bot / "app")
    assert run("check", "--baseline", "../auditor-baseline.json", "--fail-on-stale-baseline") == (0, hidden, "")


def test_paths_are_relative_to_the_project_root_not_the_working_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record()
    monkeypatch.chdir(project / "app")
    assert run("check", "--baseline", "../baseline.json", "--report-stale-baseline") == (
        0,
        "All checks passed: no problems in 1 file. (2 hidden by the baseline)\n",
        "",
    )


def test_baseline_through_a_real_process(project: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS")}

    def auditor(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "auditor", "check", *args]
        return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)

    written = auditor("app/service.py", "--write-baseline", "baseline.json")
    assert (written.returncode, written.stdout, written.stderr) == (0, "Recorded 2 findings in baseline.json.\n", "")
    (project / "app" / "service.py").write_text(SERVICE + "def more():\n    return anthropic.Anthropic(timeout=None)\n")
    checked = auditor("--baseline", "baseline.json", "--output-format", "concise")
    assert checked.returncode == 1
    assert checked.stdout == (
        f"app/service.py:7:40: {ANT402.format(what='Anthropic()')}\n"
        "Found 1 problem (1 error, 0 warnings) in 1 file. (2 hidden by the baseline)\n"
    )
    assert checked.stderr == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read baseline baseline.json: No such file or directory"),
        ("{not json", "baseline baseline.json is not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)"),
        ('{"version": 2, "tool": "auditor", "findings": []}', "baseline baseline.json has version 2; this auditor reads version 1 (rewrite it with --write-baseline)"),
        ("[]", "baseline baseline.json is not an auditor baseline: expected a JSON object at the top level"),
        ('{"version": 1, "findings": [{"fingerprint": "x", "code": "ANT401"}]}', "baseline baseline.json is not an auditor baseline: findings[0].path must be a non-empty string"),
        ('{"version": 1, "findings": [{"fingerprint": "x", "code": "A", "path": "p", "count": 0}]}', "baseline baseline.json is not an auditor baseline: findings[0].count must be a positive integer"),
    ],
    ids=["missing", "not-json", "wrong-version", "not-object", "no-path", "zero-count"],
)
def test_a_broken_baseline_is_a_usage_error(project: Path, content: str | None, message: str) -> None:
    if content is not None:
        (project / "baseline.json").write_text(content)
    code, out, err = check()
    assert (code, out, err) == (2, "", f"auditor: error: {message}\n")


def test_an_unwritable_baseline_is_a_usage_error(project: Path) -> None:
    (project / "ci").write_text("a file where a directory should be")
    code, out, err = run("check", "--write-baseline", "ci/baseline.json")
    assert (code, out) == (2, "")
    assert err.startswith("auditor: error: cannot write baseline ci/baseline.json: ")
    assert "Traceback" not in err
