"""Suppression comments and per-file-ignores."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from conftest import findings


def test_noqa_and_ignore_comments() -> None:
    assert findings(
        """
        import anthropic
        a = anthropic.Anthropic(timeout=None)  # noqa: ANT402
        b = anthropic.Anthropic(timeout=None)  # auditor: ignore[ANT402]
        c = anthropic.Anthropic(timeout=None)  # auditor: ignore
        d = anthropic.Anthropic(timeout=None)  # noqa
        e = anthropic.Anthropic(timeout=None)  # noqa: E501
        f = anthropic.Anthropic(timeout=None)  # auditor: ignore[ANT401]
        g = anthropic.Anthropic(timeout=None)  # noqa:ANT401,ANT402
        h = anthropic.Anthropic(timeout=None, base_url="# noqa: ANT402")
        """
    ) == [("ANT402", 7, 33), ("ANT402", 8, 33), ("ANT402", 10, 33)]


def test_multi_line_call_is_suppressed_on_its_first_line() -> None:
    source = """
        import anthropic
        client = anthropic.Anthropic(  # noqa: ANT401
            max_retries=3,
        )
        other = anthropic.Anthropic(
            max_retries=3,
        )  # noqa: ANT401
        client.messages.create(model="m", max_tokens=1, messages=[])
        other.messages.create(model="m", max_tokens=1, messages=[])
        """
    assert findings(source) == [("ANT401", 6, 9)]


def test_ignore_file() -> None:
    source = """
        # auditor: ignore-file[ANT402]
        import anthropic
        a = anthropic.Anthropic(timeout=None)
        b = anthropic.Anthropic(timeout=120, max_retries=9)
        """
    assert findings(source, max_total_wait=60) == [("ANT403", 5, 5)]
    assert findings(source.replace("ignore-file[ANT402]", "ignore-file"), max_total_wait=60) == []


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("app/main.py", "tests/test_main.py", "scripts/once.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import anthropic\nc = anthropic.Anthropic(timeout=None)\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_per_file_ignores(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.auditor.per-file-ignores]\n'tests/*' = ['ANT4']\n'once.py' = ['timeout-disabled']\n"
    )
    result = CliRunner().invoke(main, ["check", "--output-format", "concise", "-q"])
    assert result.stdout.splitlines() == ["app/main.py:2:33: ANT402 " + result.stdout.split(" ANT402 ")[1].splitlines()[0]]
