"""`auditor live-check --from-code`: the request proves the settings the code ships."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from loopback_api import LoopbackAPI, error

from auditor.cli import main

KEY = "sk-ant-test-0123456789abcdef"


@pytest.fixture
def api() -> Iterator[LoopbackAPI]:
    with LoopbackAPI() as server:
        yield server


def live(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": None}
    result = CliRunner().invoke(main, ["live-check", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_one_configuration_is_used(tmp_path: Path, api: LoopbackAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text("import anthropic\nTIMEOUT = 12\nclient = anthropic.Anthropic(timeout=TIMEOUT, max_retries=1)\n")
    api.script(*[error(529, "overloaded_error", "Overloaded")] * 3)
    code, out, err = live(tmp_path, "--from-code", "app.py", "--base-url", api.url, "--output-format", "json")
    report = json.loads(out)
    assert (report["timeout_s"], report["max_retries"]) == (12.0, 1)
    assert (code, report["attempts"]) == (5, 2)  # max_retries=1 from the code: two attempts
    assert err == "live-check: using timeout=12 and max_retries=1 from app.py:3\n"


def test_several_configurations_are_listed_and_nothing_is_sent(tmp_path: Path, api: LoopbackAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("import anthropic\nfast = anthropic.Anthropic(timeout=5)\nslow = anthropic.Anthropic(timeout=50, max_retries=4)\n")
    code, out, err = live(tmp_path, "--from-code", ".", "--base-url", api.url)
    assert (code, out) == (2, "")
    assert err == (
        "live-check: --from-code: 2 different client configurations in ., pick one with --timeout and "
        "--max-retries: a.py:2 Anthropic(timeout=5 s, max_retries=2 (SDK default)); a.py:3 "
        "Anthropic(timeout=50 s, max_retries=4)\n"
    )
    assert api.requests == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", "live-check: --from-code: no SDK client is built in app.py\n"),
        (
            "import anthropic\nfrom cfg import T\nc = anthropic.Anthropic(timeout=T)\n",
            "live-check: --from-code: the client at app.py:3 has settings auditor cannot read (T is imported from cfg)\n",
        ),
        (
            "import anthropic\nc = anthropic.Anthropic(timeout=None)\n",
            "live-check: --from-code: the client at app.py:2 has no timeout (timeout=None): fix that first (ANT402)\n",
        ),
    ],
)
def test_unusable_code_is_a_configuration_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(source)
    assert live(tmp_path, "--from-code", "app.py") == (2, "", message)


def test_from_code_with_explicit_settings_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text("import anthropic\nc = anthropic.Anthropic(timeout=5)\n")
    code, _, err = live(tmp_path, "--from-code", "app.py", "--timeout", "3")
    assert code == 2 and "drop --timeout and --max-retries" in err
