"""`--statistics` in each output format, and `--color` with FORCE_COLOR and NO_COLOR, run as a
user runs them: through a pipe, and on a real terminal (a pseudo-terminal)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import auditor, on_a_terminal

APP = """\
import anthropic

a = anthropic.Anthropic(timeout=None)
b = anthropic.Anthropic(timeout=None, max_retries=9)
c = anthropic.Anthropic(max_retries=9, timeout=120)
c.messages.create(model="m", max_tokens=1, messages=[])
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "pyproject.toml").write_text("[tool.auditor]\nmax-total-wait = 60\n")
    return tmp_path


JSON = """\
[
  {
    "code": "ANT402",
    "name": "timeout-disabled",
    "count": 2,
    "fixable": %s
  },
  {
    "code": "ANT403",
    "name": "wait-budget-exceeded",
    "count": 1,
    "fixable": false
  }
]
"""


def test_statistics_as_json(project: Path) -> None:
    assert auditor(project, "check", "--statistics", "--output-format", "json") == (1, JSON % "false", "")
    # ANT402's fix is unsafe: --fix applies it only with --unsafe-fixes.
    assert auditor(project, "check", "--statistics", "--output-format", "json", "--unsafe-fixes") == (1, JSON % "true", "")
    # The configuration's output-format counts as well.
    (project / "pyproject.toml").write_text("[tool.auditor]\nmax-total-wait = 60\noutput-format = 'json'\n")
    assert auditor(project, "check", "--statistics") == (1, JSON % "false", "")


def test_statistics_in_the_other_formats(project: Path) -> None:
    assert auditor(project, "check", "--statistics", "--output-format", "json-lines", "--unsafe-fixes") == (
        1,
        '{"code": "ANT402", "name": "timeout-disabled", "count": 2, "fixable": true}\n'
        '{"code": "ANT403", "name": "wait-budget-exceeded", "count": 1, "fixable": false}\n',
        "",
    )
    assert auditor(project, "check", "--statistics", "--output-format", "markdown") == (
        1,
        "| count | code | name | fixable |\n|---:|---|---|---|\n"
        "| 2 | ANT402 | `timeout-disabled` | no |\n| 1 | ANT403 | `wait-budget-exceeded` | no |\n",
        "",
    )
    assert auditor(project, "check", "--statistics", "--unsafe-fixes") == (
        1,
        "2  ANT402  [*] timeout-disabled\n1  ANT403  wait-budget-exceeded\n"
        "Found 3 problems (2 errors, 1 warning) in 1 file.\n[*] 2 fixable with --fix.\n",
        "",
    )
    assert auditor(project, "check", "--statistics", "--output-format", "concise", "-q") == (
        1,
        "2  ANT402  timeout-disabled\n1  ANT403  wait-budget-exceeded\n",
        "",
    )


@pytest.mark.parametrize("fmt", ["sarif", "github", "gitlab", "junit"])
def test_statistics_refuses_the_formats_that_annotate_files(project: Path, fmt: str) -> None:
    message = f"auditor: error: --statistics counts findings per rule: it has no {fmt} form (use one of full, concise, json, json-lines, markdown)\n"
    assert auditor(project, "check", "--statistics", "--output-format", fmt) == (2, "", message)


def plain_and_coloured(project: Path) -> tuple[str, str]:
    """The first finding's line, plain and as the colour scheme paints it."""
    _, plain, _ = auditor(project, "check", "--select", "ANT402", "--output-format", "concise", "-q")
    first = plain.splitlines()[0]
    rest = first.split(" ANT402 ", 1)[1]
    return first, f"\x1b[1mapp.py:3:33:\x1b[0m \x1b[1m\x1b[31mANT402\x1b[0m {rest}"


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ([], {}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": ""}, False),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, True),
        (["--color", "always"], {}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        (["--color", "auto"], {}, False),
    ],
)
def test_colour_through_a_pipe(project: Path, args: list[str], env: dict[str, str], coloured: bool) -> None:
    plain, painted = plain_and_coloured(project)
    code, out, _ = auditor(project, "check", "--select", "ANT402", "--output-format", "concise", "-q", *args, env=env)
    assert (code, out.splitlines()[0]) == (1, painted if coloured else plain)


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ([], {}, True),
        ([], {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value turns colour off
        ([], {"NO_COLOR": "1"}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {}, False),
    ],
)
def test_colour_on_a_terminal(project: Path, args: list[str], env: dict[str, str], coloured: bool) -> None:
    plain, painted = plain_and_coloured(project)
    out = on_a_terminal(project, "check", "--no-cache", "--select", "ANT402", "--output-format", "concise", "-q", *args, env=env)
    assert out.splitlines()[0] == (painted if coloured else plain)


def test_the_full_format_paints_the_help_line(project: Path) -> None:
    """ruff's layout: the snippet, then `= help:` with its `=` under the gutter's `|`, the `=` in
    the gutter's colour and the label bold; the advice itself plain."""
    head = (
        "\x1b[1mapp.py:3:33:\x1b[0m \x1b[1m\x1b[31mANT402\x1b[0m timeout None on Anthropic(): this disables the timeout, "
        "so a stalled request waits forever"
    )
    code, out, _ = auditor(project, "check", "--select", "ANT402", "--color", "always", "-q", "app.py")
    assert (code, out.splitlines()[:4]) == (
        1,
        [
            head,
            "\x1b[36m3 | \x1b[0ma = anthropic.Anthropic(timeout=None)",
            "\x1b[36m  | \x1b[0m\x1b[31m" + " " * 32 + "^^^^\x1b[0m",
            "  \x1b[36m=\x1b[0m \x1b[1mhelp:\x1b[0m Set a finite timeout such as timeout=60.0, and stream long generations",
        ],
    )
    code, out, _ = auditor(project, "check", "--select", "ANT402", "--color", "never", "-q", "app.py")
    assert out.splitlines()[3] == "  = help: Set a finite timeout such as timeout=60.0, and stream long generations"
