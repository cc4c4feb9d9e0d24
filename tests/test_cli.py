"""The command line as a user drives it: exit codes, formats, selection, summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

BAD = textwrap.dedent(
    """\
    import anthropic

    client = anthropic.Anthropic()
    slow = anthropic.Anthropic(timeout=None)


    def ask(question):
        return client.messages.create(model="m", max_tokens=100, messages=[])
    """
)
GOOD = "import anthropic\n\nclient = anthropic.Anthropic(timeout=30)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.py").write_text(BAD)
    (tmp_path / "app" / "good.py").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUDITOR_OUTPUT_FORMAT", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_full_output_and_summary(project: Path) -> None:
    code, out, _ = run("check")
    assert code == 1
    assert out == textwrap.dedent(
        """\
        app/bad.py:3:10: ANT401 Anthropic() and the call on line 8 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s
        3 | client = anthropic.Anthropic()
          |          ^^^^^^^^^^^^^^^^^^^^^
          = help: Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call

        app/bad.py:4:36: ANT402 timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever
        4 | slow = anthropic.Anthropic(timeout=None)
          |                                    ^^^^
          = help: Set a finite timeout such as timeout=60.0, and stream long generations

        Found 2 problems (1 error, 1 warning) in 1 file.
        """
    )


def test_clean_project_exits_zero(project: Path) -> None:
    code, out, _ = run("check", "app/good.py")
    assert (code, out) == (0, "All checks passed: no problems in 1 file.\n")


def test_concise_quiet_and_exit_zero(project: Path) -> None:
    code, out, _ = run("check", "--output-format", "concise", "-q", "--exit-zero")
    assert code == 0
    # The diagnosis alone: no snippet and no help line.
    assert out.splitlines() == [
        "app/bad.py:3:10: ANT401 Anthropic() and the call on line 8 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s",
        "app/bad.py:4:36: ANT402 timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever",
    ]


def test_json_schema(project: Path) -> None:
    code, out, _ = run("check", "--output-format", "json", "--select", "ANT402")
    assert code == 1
    (finding,) = json.loads(out)
    assert list(finding) == ["code", "name", "severity", "message", "path", "start", "end", "fix", "fingerprint", "cell", "help"]
    assert finding["code"] == "ANT402"
    assert finding["message"] == "timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever"
    assert finding["help"] == "Set a finite timeout such as timeout=60.0, and stream long generations"
    assert finding["name"] == "timeout-disabled"
    assert finding["severity"] == "error"
    assert finding["path"] == "app/bad.py"
    assert finding["start"] == {"line": 4, "column": 36}
    assert finding["end"] == {"line": 4, "column": 40}
    assert finding["fix"] == {
        "message": "Replace `timeout=None` with `timeout=600.0`",
        "safe": False,
        "edits": [{"start": {"line": 4, "column": 36}, "end": {"line": 4, "column": 40}, "content": "600.0"}],
    }


def test_env_output_format(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_OUTPUT_FORMAT", "json-lines")
    code, out, _ = run("check")
    assert code == 1
    assert [json.loads(line)["code"] for line in out.splitlines()] == ["ANT401", "ANT402"]


def test_github_actions_adds_annotations(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = run("check", "--select", "ANT402")
    assert code == 1
    assert out.startswith("::error file=app/bad.py,line=4,col=36,endLine=4,endColumn=40,title=ANT402 timeout-disabled::")
    assert "app/bad.py:4:36: ANT402" in out


def test_annotations_go_to_standard_output_when_the_report_goes_to_a_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner reads workflow commands from standard output only: a file would swallow them."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = run("check", "--select", "ANT402", "-o", "reports/auditor.txt")
    assert code == 1
    assert out == (
        "::error file=app/bad.py,line=4,col=36,endLine=4,endColumn=40,title=ANT402 timeout-disabled::ANT402 timeout None on"
        " Anthropic(): this disables the timeout, so a stalled request waits forever%0Ahelp: Set a finite timeout such as"
        " timeout=60.0, and stream long generations\n"
        "Found 1 problem (1 error, 0 warnings) in 1 file.\n"
    )
    report = (project / "reports" / "auditor.txt").read_text()
    assert report.startswith("app/bad.py:4:36: ANT402 timeout None on Anthropic()")
    assert "::" not in report


@pytest.mark.parametrize(
    ("args", "config", "exit_code"),
    [
        (["--select", "ANT401"], None, 1),  # default: warnings fail
        (["--select", "ANT401", "--fail-on", "error"], None, 0),
        (["--select", "ANT401", "--fail-on", "warning"], None, 1),
        (["--select", "ANT401"], 'fail-on = "error"', 0),
        (["--select", "ANT401", "--fail-on", "warning"], 'fail-on = "error"', 1),  # the command line wins
        (["--fail-on", "error"], None, 1),  # an error is among the findings
        (["--select", "ANT401", "--fail-on", "error", "--statistics"], None, 0),
    ],
)
def test_fail_on(project: Path, args: list[str], config: str | None, exit_code: int) -> None:
    if config is not None:
        (project / "pyproject.toml").write_text(f"[tool.auditor]\n{config}\n")
    code, out, err = run("check", "--output-format", "concise", *args)
    assert (code, err) == (exit_code, "")
    assert "ANT401" in out, "the warnings are still reported"


def test_fail_on_bad_values_are_usage_errors(project: Path) -> None:
    code, _, err = run("check", "--fail-on", "notice")
    assert code == 2 and "Invalid value for '--fail-on': 'notice' is not one of 'error', 'warning'." in err
    (project / "pyproject.toml").write_text('[tool.auditor]\nfail-on = "never"\n')
    assert run("check") == (2, "", "auditor: error: pyproject.toml: [tool.auditor] fail-on: expected one of error, warning, got 'never'\n")


def test_paths_and_cache_follow_the_checked_project_not_the_working_directory(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`auditor check PROJECT/app` from elsewhere: report paths from PROJECT (its configuration file
    makes it the root), text paths from the working directory, the cache in PROJECT."""
    (project / "pyproject.toml").write_text("[tool.auditor]\n")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS", "AUDITOR_CACHE_DIR")}
    command = [sys.executable, "-m", "auditor", "check", str(project / "app")]
    as_json = subprocess.run([*command, "--output-format", "json"], cwd=elsewhere, env=env, capture_output=True, text=True, check=False)
    assert as_json.returncode == 1, as_json.stderr
    assert [f["path"] for f in json.loads(as_json.stdout)] == ["app/bad.py", "app/bad.py"]
    assert (project / ".auditor_cache" / "results.json").is_file()
    assert list(elsewhere.iterdir()) == []
    concise = subprocess.run([*command, "--output-format", "concise"], cwd=elsewhere, env=env, capture_output=True, text=True, check=False)
    bad = (project / "app" / "bad.py").as_posix()
    assert [line.split(" ANT")[0] for line in concise.stdout.splitlines()[:2]] == [f"{bad}:3:10:", f"{bad}:4:36:"]


@pytest.mark.parametrize(
    ("options", "codes"),
    [
        (["--select", "ANT401"], ["ANT401"]),
        (["--select", "ANT4"], ["ANT401", "ANT402"]),
        (["--select", "timeout-disabled"], ["ANT402"]),
        (["--ignore", "ANT401"], ["ANT402"]),
        (["--select", "ANT401", "--extend-select", "ANT402"], ["ANT401", "ANT402"]),
        (["--select", "ANT401,ANT402", "--ignore", "client-without-timeout"], ["ANT402"]),
    ],
)
def test_selection(project: Path, options: list[str], codes: list[str]) -> None:
    _, out, _ = run("check", "--output-format", "json", *options)
    assert [f["code"] for f in json.loads(out)] == codes


def test_unknown_code_is_a_usage_error(project: Path) -> None:
    code, _, err = run("check", "--select", "ANT999")
    assert code == 2
    assert err == "auditor: error: --select: unknown rule code or name 'ANT999' (see `auditor rule --all`)\n"


def test_statistics(project: Path) -> None:
    code, out, _ = run("check", "--statistics")
    assert code == 1
    assert out == "1  ANT401  client-without-timeout\n1  ANT402  timeout-disabled\nFound 2 problems (1 error, 1 warning) in 1 file.\n"


def test_output_file(project: Path) -> None:
    code, out, _ = run("check", "--output-format", "json", "-o", "reports/auditor.json")
    assert code == 1 and out == ""
    assert len(json.loads((project / "reports" / "auditor.json").read_text())) == 2


def test_rule_documentation() -> None:
    code, out, _ = run("rule", "ANT401")
    assert code == 0
    assert out.startswith(
        "# client-without-timeout (ANT401)\n\nSeverity: warning\nFix: unsafe (applied with --fix --unsafe-fixes)\n"
        "Option: `fix-timeout`\n\n"
    )
    assert "## Fix safety\nThe fix is unsafe (applied with `--unsafe-fixes`)" in out
    assert "## What it does" in out and "## Why is this bad?" in out and "Use instead:" in out
    code, out, _ = run("rule", "--all")
    assert code == 0 and out.count("\n# ") >= 3
    code, _, err = run("rule", "ANT999")
    assert code == 2 and "unknown rule 'ANT999'" in err


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("auditor, version ")


def test_check_never_imports_anthropic(project: Path) -> None:
    script = (
        "import sys\n"
        "from auditor.cli import main\n"
        "try:\n"
        "    main(['check', '.'])\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code, 'anthropic' in sys.modules, 'libcst' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=project)
    assert done.stdout.splitlines()[-1] == "exit 1 False True"


def test_python_dash_m_and_console_script(project: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "auditor", "check", "app/good.py"], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "All checks passed: no problems in 1 file.\n")
    exe = Path(sys.executable).with_name("auditor")
    if exe.exists():
        done = subprocess.run([str(exe), "check", "app/bad.py", "-q"], capture_output=True, text=True)
        assert done.returncode == 1 and done.stderr == ""


def test_no_colour_without_a_terminal_and_with_no_color(project: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "auditor", "check"], capture_output=True, text=True, env=env)
    assert "\033[" not in done.stdout
