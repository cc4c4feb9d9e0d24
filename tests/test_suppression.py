"""Suppression comments and per-file-ignores."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from conftest import auditor, explained, findings


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


def test_unused_ignores_are_reported_when_asked() -> None:
    source = """
        # auditor: ignore-file[ANT301]
        import anthropic
        a = anthropic.Anthropic(timeout=None)  # noqa: ANT402
        b = anthropic.Anthropic(timeout=60)  # noqa: ANT402
        c = anthropic.Anthropic(timeout=60)  # noqa
        d = anthropic.Anthropic(timeout=60)  # auditor: ignore[ANT410]
        e = anthropic.Anthropic(timeout=60)  # noqa: E501, ANT101
        f = anthropic.Anthropic(timeout=60)  # noqa: ANT403
        """
    assert findings(source) == []
    assert explained(source, report_unused_ignores=True) == [
        (
            "ANT001 ANT301 is suppressed here but not reported",
            "Remove the suppression",
        ),
        (
            "ANT001 ANT402 is suppressed here but not reported",
            "Remove the suppression",
        ),
        (
            "ANT001 this blanket suppression silences nothing here",
            "Remove it",
        ),
        (
            "ANT001 ANT410 is not an auditor rule",
            "Fix or remove it (see `auditor rule --all`)",
        ),
        (
            "ANT001 ANT101 is suppressed here but not reported",
            "Remove the suppression",
        ),
        (
            "ANT001 ANT403 is suppressed here but not reported",
            "Remove the suppression",
        ),
    ]
    assert [line for _, line, _ in findings(source, report_unused_ignores=True)] == [2, 5, 6, 7, 8, 9]
    # ANT403 is off without max-total-wait... but selected: only deselected rules are left alone.
    assert findings(source, report_unused_ignores=True, select=("ANT4",)) == [
        ("ANT001", 5, 38),
        ("ANT001", 6, 38),
        ("ANT001", 7, 38),
        ("ANT001", 9, 38),
    ]


def test_report_unused_ignores_flag(project: Path) -> None:
    (project / "app" / "main.py").write_text("import anthropic\nc = anthropic.Anthropic(timeout=5)  # noqa: ANT402\n")
    result = CliRunner().invoke(main, ["check", "app", "--output-format", "concise", "-q", "--report-unused-ignores"])
    assert result.stdout == "app/main.py:2:37: ANT001 ANT402 is suppressed here but not reported\n"


SUPPRESSED = '''\
import anthropic

by_name = anthropic.Anthropic(timeout=None)  # auditor: ignore[timeout-disabled]
by_prefix = anthropic.Anthropic(timeout=None)  # auditor: ignore[ANT4]
by_noqa = anthropic.Anthropic(timeout=None)  # noqa: ANT402
by_lower_case = anthropic.Anthropic(timeout=None)  # auditor: ignore[ant40]
other_rule = anthropic.Anthropic(timeout=None)  # auditor: ignore[client-without-timeout]
statement = anthropic.Anthropic(  # noqa: ANT402
    max_retries=1,
    timeout=None,
)
with anthropic.Anthropic(  # auditor: ignore[timeout-disabled]
    timeout=None,
) as scoped:
    pass
nested = [
    anthropic.Anthropic(timeout=None),  # noqa: ANT402
    anthropic.Anthropic(timeout=None),
]
try:  # noqa: ANT201
    pass
except anthropic.APIError:
    raise
except anthropic.RateLimitError:  # auditor: ignore[shadowed-exception-handler]
    pass
try:
    pass
except anthropic.APIError:
    raise
except anthropic.RateLimitError:
    pass
'''


def located(out: str) -> list[tuple[str, int, int]]:
    return [(f["code"], f["start"]["line"], f["start"]["column"]) for f in json.loads(out)]


def test_codes_prefixes_and_names_on_the_line_or_the_statements_first_line(tmp_path: Path) -> None:
    """Each suppression form silences what it names, on its own line or on the first line of the
    statement that holds the finding; a comment on `try:` does not reach an `except` clause."""
    (tmp_path / "app.py").write_text(SUPPRESSED)
    code, out, err = auditor(tmp_path, "check", "--output-format", "json", "--select", "ANT2,ANT402")
    assert (code, err) == (1, "")
    assert located(out) == [("ANT402", 7, 42), ("ANT402", 18, 33), ("ANT201", 30, 8)]


def test_unused_suppressions_by_prefix_and_name_at_their_column(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import anthropic\n"
        "\n"
        "a = anthropic.Anthropic(timeout=60)  # auditor: ignore[timeout-disabled]\n"
        "b = anthropic.Anthropic(timeout=60)  # auditor: ignore[ANT40, ANT9]\n"
        "c = anthropic.Anthropic(timeout=60)  # type: ignore  # noqa:ANT4\n"
        "d = anthropic.Anthropic(timeout=60)  # auditor: ignore[time-out]\n"
        "e = anthropic.Anthropic(timeout=60)  # auditor: ignore[ANT1]\n"
        "# auditor: ignore-file[client-without-timeout]\n"
    )
    code, out, err = auditor(tmp_path, "check", "--output-format", "concise", "--report-unused-ignores", "--ignore", "ANT1")
    assert (code, err) == (1, "")
    assert out == (
        "app.py:3:38: ANT001 timeout-disabled is suppressed here but not reported\n"
        "app.py:4:38: ANT001 ANT40 is suppressed here but not reported\n"
        "app.py:4:38: ANT001 ANT9 is not an auditor rule\n"
        "app.py:5:54: ANT001 ANT4 is suppressed here but not reported\n"
        "app.py:6:38: ANT001 time-out is not an auditor rule\n"
        "app.py:8:1: ANT001 client-without-timeout is suppressed here but not reported\n"
        "Found 6 problems (0 errors, 6 warnings) in 1 file.\n"
    )
    code, out, _ = auditor(tmp_path, "check", "--output-format", "json", "--report-unused-ignores", "--ignore", "ANT1")
    assert [(f["start"], f["end"]) for f in json.loads(out)][:1] == [({"line": 3, "column": 38}, {"line": 3, "column": 73})]


def test_unused_suppression_fingerprints_keep_the_one_line_wording(tmp_path: Path) -> None:
    """ANT001's fingerprint hashes its selector and its text as it read before the help line was
    split off, so baselines written then still match."""
    (tmp_path / "app.py").write_text(
        "import anthropic\n"
        "a = anthropic.Anthropic(timeout=60)  # noqa: ANT402\n"
        "b = anthropic.Anthropic(timeout=60)  # noqa\n"
        "c = anthropic.Anthropic(timeout=60)  # auditor: ignore[ANT410]\n"
    )
    code, out, _ = auditor(tmp_path, "check", "--report-unused-ignores", "--output-format", "json")
    assert code == 1

    def old(selector: str, text: str) -> str:
        return hashlib.sha256(f"ANT001\x1fapp.py\x1f{selector}\x1f{text}".encode()).hexdigest()[:32]

    assert [(f["message"], f["help"], f["fingerprint"]) for f in json.loads(out)] == [
        (
            "ANT402 is suppressed here but not reported",
            "Remove the suppression",
            old("ANT402", "ANT402 is suppressed here but not reported: remove the suppression"),
        ),
        ("this blanket suppression silences nothing here", "Remove it", old("*", "this blanket suppression silences nothing here: remove it")),
        (
            "ANT410 is not an auditor rule",
            "Fix or remove it (see `auditor rule --all`)",
            old("ANT410", "ANT410 is not an auditor rule: fix or remove it (see `auditor rule --all`)"),
        ),
    ]
