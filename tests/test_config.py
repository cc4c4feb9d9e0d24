"""Configuration: discovery by walking up, nearest file wins, validation with clear errors."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from conftest import auditor

BUDGET = textwrap.dedent(
    """\
    import anthropic
    client = anthropic.Anthropic(timeout=120, max_retries=5)
    """
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "budget.py").write_text(BUDGET)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codes(*args: str) -> list[str]:
    code, out, err = run("check", "--output-format", "json", *args)
    assert code in (0, 1), err
    return [f["code"] for f in json.loads(out)]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", "[tool.auditor]\nmax-total-wait = 300\n"),
        ("auditor.toml", "max-total-wait = 300\n"),
        (".auditor.toml", "max-total-wait = 300\n"),
    ],
)
def test_per_rule_option_reaches_the_rule(project: Path, name: str, text: str) -> None:
    assert codes() == []  # ANT403 is off without max-total-wait
    (project / name).write_text(text)
    assert codes() == ["ANT403"]


def test_found_by_walking_up_from_the_checked_path(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "pyproject.toml").write_text("[tool.auditor]\nmax-total-wait = 300\n")
    monkeypatch.chdir(project / "pkg")
    assert codes("budget.py") == ["ANT403"]


def test_nearest_configuration_wins(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.auditor]\nmax-total-wait = 300\n")
    (project / "pkg" / "auditor.toml").write_text("max-total-wait = 1000\n")
    (project / "other").mkdir()
    (project / "other" / "budget.py").write_text(BUDGET)
    assert codes() == ["ANT403"]
    code, out, _ = run("check", "--output-format", "json")
    assert [f["path"] for f in json.loads(out)] == ["other/budget.py"]


def test_pyproject_without_a_table_is_skipped(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.auditor]\nmax-total-wait = 300\n")
    (project / "pkg" / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    assert codes() == ["ANT403"]


def test_explicit_config_file(project: Path) -> None:
    (project / "ci.toml").write_text("max-total-wait = 100\nselect = ['ANT4']\n")
    assert codes("--config", "ci.toml") == ["ANT403"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[tool.auditor]\nmax-total-wait = 'ten'\n",
            "pyproject.toml: [tool.auditor] max-total-wait: expected a number, got 'ten'",
        ),
        (
            "[tool.auditor]\nmax-tokens-threshold = 4096.5\n",
            "pyproject.toml: [tool.auditor] max-tokens-threshold: expected an integer, got 4096.5",
        ),
        (
            "[tool.auditor]\nselect = 'ANT4'\n",
            "pyproject.toml: [tool.auditor] select: expected a list of strings, got 'ANT4'",
        ),
        (
            "[tool.auditor]\nselect = ['ANT999']\n",
            "pyproject.toml: [tool.auditor] select: unknown rule code or name 'ANT999'",
        ),
        (
            "[tool.auditor.per-file-ignores]\n'tests/*' = ['ANT4', 'nope']\n",
            "pyproject.toml: [tool.auditor] per-file-ignores: unknown rule code or name 'nope'",
        ),
        (
            "[tool.auditor]\ncolour = 3\n",
            "pyproject.toml: [tool.auditor] colour: unknown key (known keys: exclude, extend-exclude, "
            "extend-select, fail-on, fix, fix-timeout, fixable, ignore, live, max-tokens-threshold, max-total-wait, output-format, "
            "per-file-ignores, report-unused-ignores, retry-decorators, sdk, select, target-sdk-version, unfixable, unsafe-fixes)",
        ),
        (
            "[tool.auditor]\ntarget-sdk-version = 0.40\n",
            'pyproject.toml: [tool.auditor] target-sdk-version: expected a string: "current" or an SDK version such '
            'as "0.40.0", got 0.4',
        ),
        (
            "[tool.auditor]\ntarget-sdk-version = 'latest'\n",
            "pyproject.toml: [tool.auditor] target-sdk-version: expected \"current\" or an SDK version such as "
            "\"0.40.0\", got 'latest'",
        ),
        (
            "[tool.auditor]\ntarget-sdk-version = '>=0.40'\n",
            "pyproject.toml: [tool.auditor] target-sdk-version: expected \"current\" or an SDK version such as "
            "\"0.40.0\", got '>=0.40'",
        ),
        (
            "[tool.auditor]\ntarget-sdk-version = '0.5.9'\n",
            "pyproject.toml: [tool.auditor] target-sdk-version: auditor knows the SDK from 0.6.0 on (older ones "
            "retried differently): got '0.5.9', use '0.6.0' or later",
        ),
        (
            "[tool.auditor.live]\ntimeout = 'fast'\n",
            "pyproject.toml: [tool.auditor.live] timeout: expected a number, got 'fast'",
        ),
        (
            "[tool.auditor]\noutput-format = 'xml'\n",
            "pyproject.toml: [tool.auditor] output-format: expected one of full, concise, json, json-lines, "
            "sarif, github, gitlab, junit, markdown, got 'xml'",
        ),
        ("[tool.auditor\n", "pyproject.toml: not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 14)"),
    ],
)
def test_bad_configuration_is_exit_2_with_the_file_and_key(project: Path, text: str, message: str) -> None:
    (project / "pyproject.toml").write_text(text)
    code, out, err = run("check")
    assert (code, out, err) == (2, "", f"auditor: error: {message}\n")


def test_auditor_toml_errors_name_the_key_without_a_table(project: Path) -> None:
    (project / "auditor.toml").write_text("max-total-wait = -1\n")
    assert run("check")[2] == "auditor: error: auditor.toml: max-total-wait: expected a number of zero or more, got -1\n"


def test_config_command_shows_values_and_sources(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.auditor]\nmax-total-wait = 300\n[tool.auditor.live]\nmodel = 'claude-x'\n")
    code, out, _ = run("config")
    assert code == 0
    assert "max-total-wait = 300  # pyproject.toml\n" in out
    assert "max-tokens-threshold = 4096  # default\n" in out
    assert 'live.model = "claude-x"  # pyproject.toml\n' in out
    assert out.startswith(f"# configuration file: {project / 'pyproject.toml'}\n")


def test_missing_explicit_config(project: Path) -> None:
    assert run("check", "--config", "nope.toml")[0] == 2


PASTED = r'''
[tool.auditor]
select = ["ANT4", "retry-decorator-on-sdk-call"]
ignore = ["ANT403"]
max-total-wait = 300
fix-timeout = 42.5
report-unused-ignores = true
retry-decorators = ["my.retry"]

[tool.auditor.per-file-ignores]
"tests/*" = ["ANT4"]
'odd "name"/*.py' = ["ANT101"]

[tool.auditor.sdk]
client-classes = ["app.LLM"]

[tool.auditor.live]
prompt = "Say \"ready\" \\ \t ünï"
timeout = 12.5
'''


def test_config_prints_toml_that_reads_back_to_the_same_settings(tmp_path: Path) -> None:
    """`auditor config`'s output parses as TOML, and as a configuration (under [tool.auditor],
    or as an auditor.toml) gives the same settings and the same output again."""
    import dataclasses
    import tomllib

    from auditor.config import load_settings

    first, pasted, alone = tmp_path / "first", tmp_path / "pasted", tmp_path / "alone"
    for folder in (first, pasted, alone):
        folder.mkdir()
    (first / "pyproject.toml").write_text(PASTED)
    code, out, err = auditor(first, "config")
    assert (code, err) == (0, "")
    body = out.split("\n", 2)[2]  # after the two header comments
    for line in (
        "max-total-wait = 300  # pyproject.toml",
        "max-tokens-threshold = 4096  # default",
        "fix-timeout = 42.5  # pyproject.toml",
        "report-unused-ignores = true  # pyproject.toml",
        "fix = false  # default",
        'per-file-ignores."tests/*" = ["ANT4"]  # pyproject.toml',
        'per-file-ignores."odd \\"name\\"/*.py" = ["ANT101"]  # pyproject.toml',
        'sdk.client-classes = ["app.LLM"]  # pyproject.toml',
        'live.prompt = "Say \\"ready\\" \\\\ \\t ünï"  # pyproject.toml',
        "live.timeout = 12.5  # pyproject.toml",
        "live.deadline = 300  # default",
        "# live.base-url = (unset)  # default",
    ):
        assert line in body.splitlines()
    data = tomllib.loads(out)
    assert data["per-file-ignores"] == {"tests/*": ["ANT4"], 'odd "name"/*.py': ["ANT101"]}
    assert data["live"]["prompt"] == 'Say "ready" \\ \t ünï'
    assert type(data["max-total-wait"]) is int and "base-url" not in data["live"]

    (pasted / "pyproject.toml").write_text("[tool.auditor]\n" + body)
    (alone / "auditor.toml").write_text(body)

    def values(text: str) -> list[str]:
        return [line.rsplit("  # ", 1)[0] for line in text.splitlines()[2:]]

    def settings(path: Path) -> object:
        return dataclasses.replace(load_settings(path), sources=(), config_file=None, root=tmp_path)

    for again, config in ((pasted, pasted / "pyproject.toml"), (alone, alone / "auditor.toml")):
        code, out_again, err = auditor(again, "config")
        assert (code, err) == (0, "")
        assert values(out_again) == values(out)
        assert settings(config) == settings(first / "pyproject.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.auditor]\nmax-wait = 3\n", "[tool.auditor] max-wait: unknown key (did you mean 'max-total-wait'?)"),
        ("[tool.auditor]\nmax_total_wait = 3\n", "[tool.auditor] max_total_wait: unknown key (did you mean 'max-total-wait'?)"),
        ("[tool.auditor]\nextend-ignore = []\n", "[tool.auditor] extend-ignore: unknown key (did you mean 'ignore'?)"),
        ("[tool.auditor.lvie]\nmodel = 'x'\n", "[tool.auditor] lvie: unknown key (did you mean 'live'?)"),
        ("[tool.auditor.live]\nmodle = 'x'\n", "[tool.auditor.live] modle: unknown key (did you mean 'model'?)"),
        ("[tool.auditor.sdk]\nclient-class = []\n", "[tool.auditor.sdk] client-class: unknown key (did you mean 'client-classes'?)"),
    ],
)
def test_unknown_keys_get_a_did_you_mean(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    assert auditor(tmp_path, "check") == (2, "", f"auditor: error: pyproject.toml: {message}\n")
    assert auditor(tmp_path, "config") == (2, "", f"auditor: error: pyproject.toml: {message}\n")
