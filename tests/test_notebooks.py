"""Jupyter notebooks, checked by the installed `auditor` command on real `.ipynb` files: findings
with their cell in every format, magics neutralised in place, suppressions inside cells, invalid
notebooks reported, and the cache, baseline, inventory and --diff-base working for notebooks."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.notebook import neutralise

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
INVENTORY_SCHEMA = json.loads((ROOT / "auditor" / "data" / "inventory.schema.json").read_text())
AUDITOR = str(Path(sys.executable).with_name("auditor"))

# Each finding of the reproducer: the diagnosis, and the advice of its `help:` line.
ANT402 = "ANT402 timeout None on Anthropic(): this disables the timeout, so a stalled request waits forever"
ANT402_HELP = "Set a finite timeout such as timeout=60.0, and stream long generations"
ANT101_32000 = "ANT101 max_tokens=32,000 without streaming: a long answer can run past the timeout and be retried from scratch"
ANT101_HELP = "Stream it: `with client.messages.stream(...) as stream: message = stream.get_final_message()`"
ANT201 = (
    "ANT201 `except anthropic.RateLimitError` can never run: the `except anthropic.APIError` on line 3 of"
    " cell 4 catches it first"
)
ANT201_HELP = "Move the specific handler above the broad one"
HELPS = (ANT402_HELP, ANT101_HELP, ANT201_HELP)


def auditor(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_OUTPUT_FORMAT", "GITHUB_ACTIONS", "AUDITOR_CACHE_DIR")}
    env["NO_COLOR"] = "1"
    done = subprocess.run([AUDITOR, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def copy(tmp_path: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def notebook(*cells: tuple[str, str], as_string: bool = False, ensure_ascii: bool = False, **top: Any) -> str:
    """A notebook as Jupyter saves it: (cell_type, source) pairs, sources as lists of lines
    (or single strings), indent 1, sorted keys."""
    made = []
    for index, (kind, text) in enumerate(cells, 1):
        source: Any = text if as_string else text.splitlines(keepends=True)
        cell: dict[str, Any] = {"cell_type": kind, "id": f"c{index}", "metadata": {}, "source": source}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        made.append(cell)
    document = {"cells": made, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5, **top}
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=ensure_ascii) + "\n"


# --- the issue's reproducer ------------------------------------------------------------------


def test_reproducer_used_to_pass_and_now_fails(tmp_path: Path) -> None:
    """timeout=None in cell 2, a 32,000-token unstreamed call in cell 3, a shadowed handler in
    cell 4: `auditor check demo.ipynb` once printed "All checks passed"."""
    copy(tmp_path, "reproducer.ipynb")
    done = auditor(tmp_path, "check", "--no-cache", "reproducer.ipynb")
    assert done.returncode == 1
    assert done.stdout == textwrap.dedent(
        f"""\
        reproducer.ipynb:cell 2:4:38: {ANT402}
        4 | client = anthropic.Anthropic(timeout=None)
          |                                      ^^^^
          = help: {ANT402_HELP}

        reproducer.ipynb:cell 3:1:12: {ANT101_32000}
        1 | response = client.messages.create(
          |            ^^^^^^^^^^^^^^^^^^^^^^^
          = help: {ANT101_HELP}

        reproducer.ipynb:cell 4:5:8: {ANT201}
        5 | except anthropic.RateLimitError:
          |        ^^^^^^^^^^^^^^^^^^^^^^^^
          = help: {ANT201_HELP}

        Found 3 problems (2 errors, 1 warning) in 1 file.
        """
    )
    assert done.stderr == ""


def _fingerprint(code: str, path: str, function: str, text: str) -> str:
    """The documented recipe: rule, path, function and the flagged code, never a line."""
    return hashlib.sha256("\x1f".join((code, path, function + "\x1f" + text)).encode()).hexdigest()[:32]


CALL_TEXT = 'client.messages.create( model="claude-sonnet-4-5", max_tokens=32000, messages=[{"role": "user", "content": "Write a long story"}], )'
FINGERPRINTS = [
    _fingerprint("ANT402", "reproducer.ipynb", "<module>", "None"),
    _fingerprint("ANT101", "reproducer.ipynb", "<module>", CALL_TEXT),
    _fingerprint("ANT201", "reproducer.ipynb", "<module>", "anthropic.RateLimitError"),
]


def test_reproducer_json_and_json_lines(tmp_path: Path) -> None:
    copy(tmp_path, "reproducer.ipynb")
    records = [json.loads(line) for line in auditor(tmp_path, "check", "--no-cache", "--output-format", "json-lines", "reproducer.ipynb").stdout.splitlines()]
    located = [(r["code"], r["cell"], r["start"], r["end"], r["fingerprint"]) for r in records]
    assert located == [
        ("ANT402", 2, {"line": 4, "column": 38}, {"line": 4, "column": 42}, FINGERPRINTS[0]),
        ("ANT101", 3, {"line": 1, "column": 12}, {"line": 5, "column": 2}, FINGERPRINTS[1]),
        ("ANT201", 4, {"line": 5, "column": 8}, {"line": 5, "column": 32}, FINGERPRINTS[2]),
    ]
    assert [(f"{r['code']} {r['message']}", r["help"]) for r in records] == list(zip((ANT402, ANT101_32000, ANT201), HELPS))
    assert all(list(r) == ["code", "name", "severity", "message", "path", "start", "end", "fix", "fingerprint", "cell", "help"] for r in records)
    array = json.loads(auditor(tmp_path, "check", "--no-cache", "--output-format", "json", "reproducer.ipynb").stdout)
    assert array == records


# Where the flagged code sits in the .ipynb file's own text: line 32 holds
# `    "client = anthropic.Anthropic(timeout=None)"` (the code starts at column 6), the call spans
# lines 42-46, the handler is on line 60.
FILE_REGIONS = [(32, 43, 32, 47), (42, 17, 46, 7), (60, 13, 60, 37)]


def test_file_regions_point_at_the_code_in_the_json() -> None:
    lines = (FIXTURES / "reproducer.ipynb").read_text().splitlines()
    assert lines[31][42:46] == "None"
    assert lines[41][16:].startswith("client.messages.create(") and lines[45] == '    ")"'
    assert lines[59][12:36] == "anthropic.RateLimitError"


def test_reproducer_github_annotations(tmp_path: Path) -> None:
    copy(tmp_path, "reproducer.ipynb")
    out = auditor(tmp_path, "check", "--no-cache", "--output-format", "github", "reproducer.ipynb").stdout
    assert out == (
        "::error file=reproducer.ipynb,line=32,col=43,endLine=32,endColumn=47,title=ANT402 timeout-disabled"
        f"::{ANT402} (cell 2:4:38)%0Ahelp: {ANT402_HELP}\n"
        "::warning file=reproducer.ipynb,line=42,endLine=46,title=ANT101 non-streamed-long-request"
        f"::{ANT101_32000} (cell 3:1:12)%0Ahelp: {ANT101_HELP}\n"
        "::error file=reproducer.ipynb,line=60,col=13,endLine=60,endColumn=37,title=ANT201 shadowed-exception-handler"
        f"::{ANT201} (cell 4:5:8)%0Ahelp: {ANT201_HELP}\n"
    )


def test_reproducer_gitlab_code_quality(tmp_path: Path) -> None:
    copy(tmp_path, "reproducer.ipynb")
    issues = json.loads(auditor(tmp_path, "check", "--no-cache", "--output-format", "gitlab", "reproducer.ipynb").stdout)
    assert issues == [
        {
            "description": f"{message} (cell {cell})",
            "check_name": message.split()[0],
            "fingerprint": fingerprint,
            "severity": severity,
            "location": {
                "path": "reproducer.ipynb",
                "positions": {"begin": {"line": region[0], "column": region[1]}, "end": {"line": region[2], "column": region[3]}},
            },
            "content": {"body": advice},
        }
        for message, advice, cell, fingerprint, severity, region in zip(
            (ANT402, ANT101_32000, ANT201), HELPS, ("2:4:38", "3:1:12", "4:5:8"), FINGERPRINTS, ("major", "minor", "major"), FILE_REGIONS
        )
    ]


def test_reproducer_sarif(tmp_path: Path) -> None:
    copy(tmp_path, "reproducer.ipynb")
    log = json.loads(auditor(tmp_path, "check", "--no-cache", "--output-format", "sarif", "reproducer.ipynb").stdout)
    jsonschema.validate(log, SARIF_SCHEMA)
    results = log["runs"][0]["results"]
    cell_regions = [(4, 38, 4, 42), (1, 12, 5, 2), (5, 8, 5, 32)]
    keys = ("startLine", "startColumn", "endLine", "endColumn")
    assert [
        (
            r["ruleId"],
            r["message"]["text"],
            r["locations"][0]["physicalLocation"]["artifactLocation"],
            tuple(r["locations"][0]["physicalLocation"]["region"][k] for k in keys),
            r["properties"]["cell"],
            tuple(r["properties"]["cellRegion"][k] for k in keys),
            r["partialFingerprints"]["auditor/v1"],
        )
        for r in results
    ] == [
        (
            message.split()[0],
            message.split(" ", 1)[1] + f" (cell {cell}:{inside[0]}:{inside[1]}). {advice}.",
            {"uri": "reproducer.ipynb", "uriBaseId": "%SRCROOT%"},
            region,
            cell,
            inside,
            fingerprint,
        )
        for message, advice, region, cell, inside, fingerprint in zip((ANT402, ANT101_32000, ANT201), HELPS, FILE_REGIONS, (2, 3, 4), cell_regions, FINGERPRINTS)
    ]


def test_reproducer_junit_and_markdown(tmp_path: Path) -> None:
    copy(tmp_path, "reproducer.ipynb")
    report = ET.fromstring(auditor(tmp_path, "check", "--no-cache", "--output-format", "junit", "reproducer.ipynb").stdout)
    cases = [(c.get("name"), c.get("file"), c.get("line"), c.find("failure").text) for c in report.iter("testcase")]  # type: ignore[union-attr]
    assert cases == [
        ("ANT402 timeout-disabled (cell 2:4:38)", "reproducer.ipynb", "32", f"reproducer.ipynb:cell 2:4:38: {ANT402}\nhelp: {ANT402_HELP}"),
        ("ANT101 non-streamed-long-request (cell 3:1:12)", "reproducer.ipynb", "42", f"reproducer.ipynb:cell 3:1:12: {ANT101_32000}\nhelp: {ANT101_HELP}"),
        ("ANT201 shadowed-exception-handler (cell 4:5:8)", "reproducer.ipynb", "60", f"reproducer.ipynb:cell 4:5:8: {ANT201}\nhelp: {ANT201_HELP}"),
    ]
    markdown = auditor(tmp_path, "check", "--no-cache", "--output-format", "markdown", "reproducer.ipynb").stdout
    rows = [line for line in markdown.splitlines() if line.startswith("| cell ")]
    assert rows == [
        f"| cell 2:4:38 | ANT402 | {ANT402.split(' ', 1)[1]}<br>help: {ANT402_HELP} |",
        f"| cell 3:1:12 | ANT101 | {ANT101_32000.split(' ', 1)[1]}<br>help: {ANT101_HELP} |",
        f"| cell 4:5:8 | ANT201 | {ANT201.split(' ', 1)[1]}<br>help: {ANT201_HELP} |",
    ]
    assert "### `reproducer.ipynb`" in markdown


# --- magics, cells, suppressions ---------------------------------------------------------------


def test_magics_shell_escapes_and_a_mistake_across_cells(tmp_path: Path) -> None:
    """cells.ipynb: the client is built in cell 2 (after `!pip` and `files = !ls`), used in cell 4
    (a `%%time` cell whose source is one string, ending in a `?` help line) and in cell 7 (behind
    `%timeit -n 1 -r 1`); cell 3 is raw, cells 5 and 6 are `%%bash` and `%%writefile` (not Python,
    and their `timeout=None` is not reported); cell 8 holds a shadowed handler and `ask?`."""
    copy(tmp_path, "cells.ipynb")
    done = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", "cells.ipynb")
    assert done.returncode == 1
    assert done.stdout == (
        "cells.ipynb:cell 2:5:10: ANT401 Anthropic() and the call on line 3 of cell 4 set no timeout:"
        " 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s\n"
        "cells.ipynb:cell 7:1:27: ANT101 max_tokens=8,192 without streaming: a long answer can run past the"
        " timeout and be retried from scratch\n"
        "cells.ipynb:cell 8:8:12: ANT201 `except anthropic.APIConnectionError` can never run: the `except"
        " anthropic.APIError` on line 6 of cell 8 catches it first\n"
        "Found 3 problems (1 error, 2 warnings) in 1 file.\n"
    )
    full = auditor(tmp_path, "check", "--no-cache", "--select", "ANT101", "cells.ipynb").stdout
    # The line is shown as written, magic included; the caret is under the call.
    assert full.splitlines()[1:3] == [
        '1 | %timeit -n 1 -r 1 draft = client.messages.create(model="claude-sonnet-4-5", max_tokens=8192, messages=[])',
        "  |                           " + "^" * len('client.messages.create(model="claude-sonnet-4-5", max_tokens=8192, messages=[])'),
    ]


def test_suppressions_inside_cells(tmp_path: Path) -> None:
    """`# noqa: ANT402` on a line of cell 3 silences that line only; `# auditor: ignore-file[ANT401]`
    in cell 1 silences the whole notebook; an unused `# noqa` is ANT001 at its cell and line."""
    copy(tmp_path, "suppressed.ipynb")
    done = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", "suppressed.ipynb")
    assert done.stdout == f"suppressed.ipynb:cell 3:2:36: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n"
    unused = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", "--report-unused-ignores", "suppressed.ipynb")
    assert unused.stdout.splitlines() == [
        f"suppressed.ipynb:cell 3:2:36: {ANT402}",
        "suppressed.ipynb:cell 3:5:12: ANT001 ANT101 is suppressed here but not reported",
        "Found 2 problems (1 error, 1 warning) in 1 file.",
    ]


def test_list_and_string_sources_give_the_same_cells(tmp_path: Path) -> None:
    cells = [
        ("markdown", "# Title\n"),
        ("code", "%pip install anthropic\nimport anthropic\r\n\nslow = anthropic.Anthropic(timeout=None)\n"),
        ("code", "!echo done\nfast = anthropic.Anthropic(timeout=None)"),
    ]
    (tmp_path / "lines.ipynb").write_text(notebook(*cells))
    (tmp_path / "strings.ipynb").write_text(notebook(*cells, as_string=True))
    runs = {}
    for name in ("lines", "strings"):
        out = auditor(tmp_path, "check", "--no-cache", "--output-format", "github", f"{name}.ipynb").stdout
        runs[name] = out
        concise = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", "-q", f"{name}.ipynb").stdout
        assert concise == f"{name}.ipynb:cell 2:4:36: {ANT402}\n{name}.ipynb:cell 3:2:36: {ANT402}\n"
    # As lines, each source line has a line of the file; as one string, a whole cell shares one.
    for name, out in runs.items():
        text = (tmp_path / f"{name}.ipynb").read_text().splitlines()
        where = [(number, line.index("None") + 1) for number, line in enumerate(text, 1) for _ in range(line.count("None"))]
        expected = "".join(
            f"::error file={name}.ipynb,line={line},col={column},endLine={line},endColumn={column + 4},"
            f"title=ANT402 timeout-disabled::{ANT402} (cell {cell}:{row}:36)%0Ahelp: {ANT402_HELP}\n"
            for (line, column), (cell, row) in zip(where, [(2, 4), (3, 2)])
        )
        assert out == expected


def test_file_columns_count_json_escapes(tmp_path: Path) -> None:
    """Before the flagged code: a quote, a backslash, non-ASCII and an emoji, which the file
    holds escaped (`\\"`, `\\\\`, `\\u00ef`, a surrogate pair) or raw: the file column is where
    the code really is in the file's text, the cell column where it is in the cell."""
    line = 'note = "na\u00efve \\"q\\" \U0001f600"; c = anthropic.Anthropic(timeout=None)'
    for ascii_only in (True, False):
        for as_string in (True, False):
            name = f"escapes_{ascii_only}_{as_string}.ipynb"
            (tmp_path / name).write_text(notebook(("code", f"import anthropic\n{line}\n"), as_string=as_string, ensure_ascii=ascii_only), encoding="utf-8")
            text = (tmp_path / name).read_text(encoding="utf-8").splitlines()
            (file_line,) = [n for n, row in enumerate(text, 1) if "timeout=None" in row]
            column = text[file_line - 1].index("None") + 1
            out = auditor(tmp_path, "check", "--no-cache", "--output-format", "github", name).stdout
            assert out.startswith(f"::error file={name},line={file_line},col={column},endLine={file_line},endColumn={column + 4},"), out
            assert out.endswith(f" (cell 1:2:{line.index('None') + 1})%0Ahelp: {ANT402_HELP}\n")


def test_python_cell_magics_keep_their_code_and_others_are_blanked(tmp_path: Path) -> None:
    (tmp_path / "magics.ipynb").write_text(
        notebook(
            ("code", "import anthropic\n"),
            ("code", "%%capture output\na = anthropic.Anthropic(timeout=None)\n"),
            ("code", "%%timeit -n 1\nb = anthropic.Anthropic(timeout=None)\n"),
            ("code", "%%html\n<b>anthropic.Anthropic(timeout=None)</b>\n"),
            ("code", "%%sh\nif [ -n \"$X\" ]; then echo anthropic; fi\n"),
            ("code", "  %time c = anthropic.Anthropic(timeout=None)\n"),
            ("code", "x = 1\n%time for i in range(3): d = anthropic.Anthropic(timeout=None)\n"),
        )
    )
    out = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", "-q", "magics.ipynb").stdout
    # Cell 6 is indented as a whole, which IPython strips (so must we, and count the columns back);
    # cell 7's compound statement cannot follow `pass;`, so that line is neutralised whole.
    assert out.splitlines() == [
        f"magics.ipynb:cell 2:2:33: {ANT402}",
        f"magics.ipynb:cell 3:2:33: {ANT402}",
        f"magics.ipynb:cell 6:1:41: {ANT402}",
    ]
    full = auditor(tmp_path, "check", "--no-cache", "magics.ipynb").stdout.splitlines()
    assert full[10:14] == [
        f"magics.ipynb:cell 6:1:41: {ANT402}",
        "1 |   %time c = anthropic.Anthropic(timeout=None)",
        "  |                                         ^^^^",
        f"  = help: {ANT402_HELP}",
    ]
    text = (tmp_path / "magics.ipynb").read_text().splitlines()
    (line,) = [n for n, row in enumerate(text, 1) if "%time c =" in row]
    column = text[line - 1].index("None") + 1
    github = auditor(tmp_path, "check", "--no-cache", "--output-format", "github", "magics.ipynb").stdout.splitlines()
    assert github[2].startswith(f"::error file=magics.ipynb,line={line},col={column},endLine={line},endColumn={column + 4},")


def test_syntax_error_in_a_cell_is_placed_in_it(tmp_path: Path) -> None:
    (tmp_path / "typo.ipynb").write_text(
        notebook(("code", "import anthropic\n"), ("markdown", "text\n"), ("code", "client = anthropic.Anthropic(\n\nprint('x'\n"))
    )
    done = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", "typo.ipynb")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == "typo.ipynb:cell 3:3:6: ANT000 syntax error: '(' was never closed"


def test_other_languages_and_empty_notebooks_have_nothing_to_check(tmp_path: Path) -> None:
    r_code = 'library(anthropic)\nclient <- anthropic::Anthropic(timeout = NULL)\n'
    (tmp_path / "r.ipynb").write_text(notebook(("code", r_code), metadata={"language_info": {"name": "R"}}))
    (tmp_path / "empty.ipynb").write_text(notebook(("markdown", "# anthropic notes\n"), ("code", "")))
    done = auditor(tmp_path, "check", "--no-cache", "r.ipynb", "empty.ipynb")
    assert (done.returncode, done.stdout) == (0, "All checks passed: no problems in 2 files.\n")


# --- invalid notebooks -------------------------------------------------------------------------


INVALID = [
    ("broken.ipynb", None, "broken.ipynb:3:1: ANT000 not a valid notebook: invalid JSON: Expecting value"),
    ("truncated.ipynb", '{\n "cells": [{"cell_type": "code", "source": ["import anthropic\\n"', "truncated.ipynb:2:65: ANT000 not a valid notebook: invalid JSON: Expecting ',' delimiter"),
    ("python.ipynb", "import anthropic\nclient = anthropic.Anthropic(timeout=None)\n", "python.ipynb:1:1: ANT000 not a valid notebook: invalid JSON: Expecting value"),
    ("no_cells.ipynb", '{"nbformat": 4, "nbformat_minor": 5, "metadata": {"anthropic": 1}}', "no_cells.ipynb:1:1: ANT000 not a valid notebook: no `cells` list"),
    ("version3.ipynb", '{"nbformat": 3, "worksheets": [{"cells": [{"input": "import anthropic"}]}]}', "version3.ipynb:1:1: ANT000 not a valid notebook: nbformat 3 is too old: auditor reads nbformat 4 and newer (open and save it in Jupyter to upgrade)"),
    ("unversioned.ipynb", '{"cells": [{"cell_type": "code", "source": "import anthropic"}]}', "unversioned.ipynb:1:1: ANT000 not a valid notebook: no `nbformat` version: not a Jupyter notebook"),
    ("list.ipynb", '[{"cell_type": "code", "source": "import anthropic"}]', "list.ipynb:1:1: ANT000 not a valid notebook: the file holds a JSON list, not a notebook object"),
    ("number_source.ipynb", '{"nbformat": 4, "cells": [\n {"cell_type": "markdown", "source": "x"},\n {"cell_type": "code", "source": 42}], "metadata": {"anthropic": 1}}', "number_source.ipynb:3:34: ANT000 not a valid notebook: cell 2: `source` is neither a string nor a list of strings"),
    ("mixed_source.ipynb", '{"nbformat": 4, "cells": [{"cell_type": "code", "source": ["import anthropic\\n", 7]}]}', "mixed_source.ipynb:1:82: ANT000 not a valid notebook: cell 1: `source` is neither a string nor a list of strings"),
    ("cells_object.ipynb", '{"nbformat": 4, "cells": {"anthropic": 1}}', "cells_object.ipynb:1:26: ANT000 not a valid notebook: `cells` is not a list"),
    ("latin1.ipynb", '{"nbformat": 4, "cells": [], "metadata": {"anthropic": "caf\xe9"}}', "latin1.ipynb:1:1: ANT000 not a valid notebook: not UTF-8 text (byte 59)"),
]


@pytest.mark.parametrize(("name", "content", "expected"), INVALID, ids=[case[0] for case in INVALID])
def test_invalid_notebooks_are_ant000_with_the_reason(tmp_path: Path, name: str, content: str | None, expected: str) -> None:
    if content is None:
        copy(tmp_path, name)
    else:
        (tmp_path / name).write_bytes(content.encode("latin-1"))
    done = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", name)
    assert (done.returncode, done.stdout, done.stderr) == (1, f"{expected}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n", "")


def test_an_invalid_notebook_that_cannot_reference_the_sdk_is_left_alone(tmp_path: Path) -> None:
    """As with a Python file's syntax error: only a file that could reference the SDK is reported,
    with or without the prefilter."""
    (tmp_path / "plots.ipynb").write_text('{"cells": [\n<<<<<<< HEAD\n')
    for extra in ((), ("--no-prefilter",)):
        done = auditor(tmp_path, "check", "--no-cache", *extra, "plots.ipynb")
        assert (done.returncode, done.stdout) == (0, "All checks passed: no problems in 1 file.\n")


def test_utf16_and_binary_notebooks(tmp_path: Path) -> None:
    (tmp_path / "wide.ipynb").write_bytes(notebook(("code", "import anthropic\n")).encode("utf-16"))
    (tmp_path / "blob.ipynb").write_bytes(b"PK\x03\x04\x00\x00anthropic")
    done = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", "-q", "blob.ipynb", "wide.ipynb")
    assert done.stdout.splitlines() == [
        "blob.ipynb:1:1: ANT000 binary file (contains NUL bytes), not a notebook",
        "wide.ipynb:1:1: ANT000 UTF-16 encoded: a notebook must be UTF-8 (or declare its encoding)",
    ]


# --- discovery, workers, cache, baseline, inventory, --diff-base ---------------------------------


def test_directory_walks_find_notebooks_but_not_checkpoints_or_excluded_ones(tmp_path: Path) -> None:
    bad = notebook(("code", "import anthropic\nclient = anthropic.Anthropic(timeout=None)\n"))
    (tmp_path / "pyproject.toml").write_text('[tool.auditor]\nextend-exclude = ["scratch"]\n')
    for folder in ("lab", "lab/.ipynb_checkpoints", "scratch"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    (tmp_path / "lab" / "demo.ipynb").write_text(bad)
    (tmp_path / "lab" / ".ipynb_checkpoints" / "demo-checkpoint.ipynb").write_text(bad)
    (tmp_path / "scratch" / "old.ipynb").write_text(bad)
    (tmp_path / "lab" / "notes.txt").write_text("import anthropic\nclient = anthropic.Anthropic(timeout=None)\n")
    walked = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", "-q", ".")
    assert walked.stdout == f"lab/demo.ipynb:cell 1:2:38: {ANT402}\n"
    # A file named on the command line that is not .py, .pyi or .ipynb is read as Python.
    named = auditor(tmp_path, "check", "--no-cache", "--output-format", "concise", "-q", "lab/notes.txt", "scratch/old.ipynb")
    assert named.stdout == f"lab/notes.txt:2:38: {ANT402}\nscratch/old.ipynb:cell 1:2:38: {ANT402}\n"
    forced = auditor(tmp_path, "check", "--no-cache", "--force-exclude", "scratch/old.ipynb")
    assert (forced.returncode, forced.stdout) == (0, "All checks passed: no problems in 0 files.\n")


def test_worker_processes_place_findings_in_cells(tmp_path: Path) -> None:
    """Enough notebooks for the worker pool: the same findings, in cells, as one process."""
    (tmp_path / "many").mkdir()
    for index in range(30):
        shutil.copy(FIXTURES / "reproducer.ipynb", tmp_path / "many" / f"n{index:02}.ipynb")
    pooled = auditor(tmp_path, "check", "--no-cache", "--jobs", "2", "--output-format", "concise", "-q", "many")
    serial = auditor(tmp_path, "check", "--no-cache", "--jobs", "1", "--output-format", "concise", "-q", "many")
    assert pooled.stdout == serial.stdout
    lines = pooled.stdout.splitlines()
    assert len(lines) == 90
    assert lines[:3] == [f"many/n00.ipynb:cell 2:4:38: {ANT402}", f"many/n00.ipynb:cell 3:1:12: {ANT101_32000}", f"many/n00.ipynb:cell 4:5:8: {ANT201}"]


def test_cache_keeps_the_cells(tmp_path: Path) -> None:
    from auditor.api import CheckOptions, run_check
    from auditor.cache import ResultCache
    from auditor.config import Settings

    copy(tmp_path, "reproducer.ipynb")
    first = auditor(tmp_path, "check", "--output-format", "sarif", "reproducer.ipynb").stdout
    second = auditor(tmp_path, "check", "--output-format", "sarif", "reproducer.ipynb").stdout
    assert first == second
    cached = json.loads((tmp_path / ".auditor_cache" / "results.json").read_text())
    (entry,) = cached["entries"].values()
    assert sorted(record["cell"] for record in entry["findings"]) == [
        [2, 4, 38, 4, 42, 32, 43, 32, 47],
        [3, 1, 12, 5, 2, 42, 17, 46, 7],
        [4, 5, 8, 5, 32, 60, 13, 60, 37],
    ]
    warnings: list[str] = []
    options = CheckOptions(cache=ResultCache(tmp_path / ".auditor_cache", warnings.append))
    settings = Settings(root=tmp_path)
    outcome = run_check([tmp_path / "reproducer.ipynb"], lambda _: settings, options)
    assert (outcome.cache_hits, outcome.files_parsed, warnings) == (1, 0, [])
    assert [(f.code, f.cell.number if f.cell else None, f.location.line) for f in outcome.findings] == [("ANT402", 2, 4), ("ANT101", 3, 1), ("ANT201", 4, 5)]


def test_baseline_keeps_hiding_a_finding_that_moves_to_another_cell(tmp_path: Path) -> None:
    setup = "import anthropic\nclient = anthropic.Anthropic(timeout=None)\n"
    (tmp_path / "lab.ipynb").write_text(notebook(("code", setup)))
    recorded = auditor(tmp_path, "check", "--no-cache", "--write-baseline", "baseline.json", "lab.ipynb")
    assert (recorded.returncode, recorded.stdout) == (0, "Recorded 1 finding in baseline.json.\n")
    moved = notebook(("markdown", "# Lab\n"), ("code", "import os\n"), ("code", "\n\n" + setup), ("code", "other = anthropic.Anthropic(timeout=None)\n"))
    (tmp_path / "lab.ipynb").write_text(moved)
    done = auditor(tmp_path, "check", "--no-cache", "--baseline", "baseline.json", "--output-format", "concise", "lab.ipynb")
    assert done.stdout == f"lab.ipynb:cell 4:1:37: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file. (1 hidden by the baseline)\n"


def test_inventory_lists_clients_and_calls_with_their_cell(tmp_path: Path) -> None:
    copy(tmp_path, "reproducer.ipynb")
    text = auditor(tmp_path, "inventory", "--no-cache", "reproducer.ipynb").stdout
    assert text.split("\n\n")[:3] == [
        "Clients (1)\n"
        "reproducer.ipynb:cell 2:4  Anthropic  [ANT402]\n"
        "    timeout      none (can block forever)\n"
        "    max_retries  2 (SDK default)",
        "Calls (2)\n"
        "reproducer.ipynb:cell 3:1  <module>  messages.create  [ANT101]\n"
        "    client       Anthropic() at cell 2, line 4\n"
        "    model        claude-sonnet-4-5\n"
        "    streamed     no\n"
        "    max_tokens   32,000\n"
        "    timeout      none (can block forever)\n"
        "    max_retries  2 (SDK default)\n"
        "    retries      SDK only\n"
        "    requests     3\n"
        "    wall time    unbounded (no timeout: a request can block forever)\n"
        "    handlers     none: errors propagate",
        "reproducer.ipynb:cell 4:2  <module>  messages.create  [ANT201]\n"
        "    client       Anthropic() at cell 2, line 4\n"
        "    model        claude-sonnet-4-5\n"
        "    streamed     no\n"
        "    max_tokens   512\n"
        "    timeout      none (can block forever)\n"
        "    max_retries  2 (SDK default)\n"
        "    retries      SDK only\n"
        "    requests     3\n"
        "    wall time    unbounded (no timeout: a request can block forever)\n"
        "    handlers     APIError (cell 4, line 3); RateLimitError (cell 4, line 5)",
    ]
    report = json.loads(auditor(tmp_path, "inventory", "--no-cache", "--output-format", "json", "reproducer.ipynb").stdout)
    jsonschema.validate(report, INVENTORY_SCHEMA, cls=jsonschema.Draft202012Validator)
    (client,) = report["clients"]
    assert (client["cell"], client["line"], client["column"]) == (2, 4, 10)
    assert [(c["cell"], c["line"], c["clients"], [(h["cell"], h["line"]) for h in c["handlers"]]) for c in report["calls"]] == [
        (3, 1, [{"line": 4, "class": "Anthropic", "cell": 2}], []),
        (4, 2, [{"line": 4, "class": "Anthropic", "cell": 2}], [(4, 3), (4, 5)]),
    ]


def test_inventory_facts_name_notebook_lines(tmp_path: Path) -> None:
    (tmp_path / "facts.ipynb").write_text(
        notebook(
            ("code", "import anthropic\nTIMEOUT = 20\n"),
            ("code", "client = anthropic.Anthropic(timeout=TIMEOUT)\nclient.messages.create(model='m', max_tokens=10, messages=[])\n"),
        )
    )
    report = json.loads(auditor(tmp_path, "inventory", "--no-cache", "--output-format", "json", "facts.ipynb").stdout)
    assert report["calls"][0]["timeout"]["source"] == "constant TIMEOUT on line 2 of cell 1"


def test_diff_base_keeps_only_findings_on_changed_notebook_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.com\n[commit]\n\tgpgsign = false\n")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(".auditor_cache/\n")
    old = ("code", "import anthropic\nold = anthropic.Anthropic(timeout=None)\n")
    (repo / "lab.ipynb").write_text(notebook(old))
    git("add", "-A")
    git("commit", "-q", "-m", "first")
    git("checkout", "-q", "-b", "feature")
    (repo / "lab.ipynb").write_text(notebook(old, ("markdown", "More\n"), ("code", "new = anthropic.Anthropic(timeout=None)\n")))
    done = auditor(repo, "check", "--no-cache", "--diff-base", "main", "--output-format", "concise", "lab.ipynb")
    assert done.stdout == f"lab.ipynb:cell 3:1:35: {ANT402}\nFound 1 problem (1 error, 0 warnings) in 1 file.\n"


# --- neutralising IPython syntax -----------------------------------------------------------------


NEUTRALISED = [
    (["%pip install anthropic", "import anthropic"], ["pass", "import anthropic"]),
    (["for name in files:", "    !echo {name}", "x = 1"], ["for name in files:", "    pass", "x = 1"]),
    (["files = !ls", "a, b = %sx ls", "!!ls"], ["pass", "pass", "pass"]),
    (["client.messages.create?", "??anthropic.Anthropic", "x = 1  # why?"], ["pass", "pass", "x = 1  # why?"]),
    (["/print 1", ",print a b", ";print a b"], ["pass", "pass", "pass"]),
    (["%%time", "r = f()", "!ls"], ["pass", "r = f()", "pass"]),
    (["", "%%bash", "echo hi", "ls"], ["", "", "", ""]),
    (["%%writefile app.py", "import anthropic"], ["", ""]),
    (["%%capture out --no-stderr", "x = 1"], ["pass", "x = 1"]),
    (["%time r = f(1)"], ["pass; r = f(1)"]),
    (["%timeit -n 10 -r 3 f()"], ["pass;" + " " * 14 + "f()"]),
    (["%time for x in y: f(x)"], ["pass"]),
    (["!pip install \\", "    anthropic", "x = 1"], ["pass", "", "x = 1"]),
    (['s = """', "!not a command", "%not a magic", '"""'], ['s = """', "!not a command", "%not a magic", '"""']),
    (["total = (1", "% 2)"], ["total = (1", "% 2)"]),
    (["x = 1 + \\", "    2", "%pip list"], ["x = 1 + \\", "    2", "pass"]),
    (['s = "a \\" # b"', "%pip list"], ['s = "a \\" # b"', "pass"]),
    (["x = 1  # '''", "%pip list"], ["x = 1  # '''", "pass"]),
    (['s = "one \\', '!two"', "!three"], ['s = "one \\', '!two"', "pass"]),
    (["# !not run", "y = 2 # %magic"], ["# !not run", "y = 2 # %magic"]),
    (["x = 5 % 2", "y = x != 3"], ["x = 5 % 2", "y = x != 3"]),
]


@pytest.mark.parametrize(("lines", "expected"), NEUTRALISED)
def test_neutralise_keeps_lines_and_columns(lines: list[str], expected: list[str]) -> None:
    assert neutralise(lines) == expected


def test_the_help_names_lines_as_the_notebook_numbers_them(tmp_path: Path) -> None:
    """The advice can point at another line too ("Stream the call on line 5 first"): in a
    notebook that line is told as the cell's, like the diagnosis's."""
    (tmp_path / "long.ipynb").write_text(
        notebook(("code", "import anthropic\nclient = anthropic.Anthropic()\n"), ("code", "x = 1\nr = client.messages.create(model='m', max_tokens=32000, messages=[])\n"))
    )
    done = auditor(tmp_path, "check", "--no-cache", "--select", "ANT401", "long.ipynb")
    assert done.stdout.splitlines()[:4] == [
        "long.ipynb:cell 1:2:10: ANT401 Anthropic() and the call on line 2 of cell 2 set no timeout: each attempt can wait 600 s (the SDK default)",
        "2 | client = anthropic.Anthropic()",
        "  |          ^^^^^^^^^^^^^^^^^^^^^",
        "  = help: Stream the call on line 2 of cell 2 first (the SDK expects max_tokens=32,000 to take up to 900 s unstreamed), then pass timeout= to the client",
    ]
