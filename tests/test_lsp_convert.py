"""The language server's conversions (positions, diagnostics, suppression edits, fixes) and
`check_text`, the one analysis function the server calls."""

from __future__ import annotations

import json
import os
import signal
import textwrap
from pathlib import Path

import pytest
from lsprotocol import types

from auditor.api import _lost_job, analysis_supervisor, check_cells, check_source, check_text
from auditor.config import ConfigResolver, Settings
from auditor.findings import CellLocation, Edit, Finding, Fix, Severity, Span
from auditor.lsp_convert import by_cell, code_actions, diagnostic, hover_text, split_lines, suppression_edit, to_range
from auditor.notebook import inert_cell
from auditor.rule import is_known_selector
from auditor.supervisor import Supervisor
from auditor.suppression import parse_suppressions

UTF8, UTF16, UTF32 = types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf32

# `é` is one UTF-16 unit and two UTF-8 bytes; `😀` is two UTF-16 units and four UTF-8 bytes.
LINE = 'greeting = "héllo 😀"; client = anthropic.Anthropic(timeout=None)'


def test_columns_are_converted_from_code_points_to_the_agreed_code_units() -> None:
    lines = ["import anthropic", LINE]
    span = Span(2, 60, 2, 64)  # `None`: code points 59-63, 0-based
    assert LINE[59:63] == "None"
    assert to_range(lines, span, UTF16) == types.Range(types.Position(1, 60), types.Position(1, 64))
    assert to_range(lines, span, UTF8) == types.Range(types.Position(1, 63), types.Position(1, 67))
    assert to_range(lines, span, UTF32) == types.Range(types.Position(1, 59), types.Position(1, 63))


def test_positions_past_the_text_are_clamped() -> None:
    lines = split_lines("x = (\ny = 1")
    assert to_range(lines, Span(2, 9, 2, 9), UTF16) == types.Range(types.Position(1, 5), types.Position(1, 5))
    assert to_range(lines, Span(5, 1, 5, 1), UTF16) == types.Range(types.Position(1, 5), types.Position(1, 5))


def test_lines_break_where_python_breaks_them_only() -> None:
    assert split_lines("a\r\nb\rc\nd\x0ce\u2028f\n") == ["a", "b", "c", "d\x0ce\u2028f", ""]


def test_a_finding_becomes_a_diagnostic() -> None:
    finding = Finding("ANT402", "timeout-disabled", Severity.ERROR, "timeout None", "x.py", Span(2, 60, 2, 64))
    assert diagnostic(finding, ["", LINE], UTF16) == types.Diagnostic(
        range=types.Range(types.Position(1, 60), types.Position(1, 64)),
        message="timeout None",
        severity=types.DiagnosticSeverity.Error,
        code="ANT402",
        source="auditor",
    )


def test_the_help_follows_the_diagnosis_on_a_line_of_its_own() -> None:
    """Editors show a multi-line message whole: the advice goes under the diagnosis, after a
    notebook's cell note; the hover makes it a paragraph of its own, before the documentation."""
    cell = CellLocation(2, Span(4, 38, 4, 42), Span(32, 43, 32, 47))
    finding = Finding("ANT402", "timeout-disabled", Severity.ERROR, "timeout None", "x.ipynb", Span(2, 60, 2, 64), cell=cell, help="Set a timeout")
    assert diagnostic(finding, ["", LINE, "", LINE], UTF16).message == "timeout None\nSet a timeout"
    assert diagnostic(finding, [LINE] * 40, UTF16, in_notebook_json=True).message == "timeout None (cell 2:4:38)\nSet a timeout"
    assert hover_text(finding, "The docs.\n") == "**ANT402** `timeout-disabled` (error)\n\ntimeout None\n\nhelp: Set a timeout\n\n---\n\nThe docs.\n"
    silent = Finding("ANT402", "timeout-disabled", Severity.ERROR, "timeout None", "x.py", Span(2, 60, 2, 64))
    assert hover_text(silent, "The docs.\n") == "**ANT402** `timeout-disabled` (error)\n\ntimeout None\n\n---\n\nThe docs.\n"


def _apply(source: str, edit: Edit) -> str:
    lines = source.split("\n")
    span = edit.span
    assert span.line == span.end_line
    text = lines[span.line - 1]
    lines[span.line - 1] = text[: span.column - 1] + edit.content + text[span.end_column - 1 :]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("client = anthropic.Anthropic()", "client = anthropic.Anthropic()  # auditor: ignore[ANT401]"),
        ("client = anthropic.Anthropic()   ", "client = anthropic.Anthropic()  # auditor: ignore[ANT401]"),
        ("client = anthropic.Anthropic()  # auditor: ignore[ANT402]", "client = anthropic.Anthropic()  # auditor: ignore[ANT402, ANT401]"),
        ("client = anthropic.Anthropic()  # noqa: ANT402", "client = anthropic.Anthropic()  # noqa: ANT402, ANT401"),
        ("client = anthropic.Anthropic()  # noqa:ANT402,ANT403 keep", "client = anthropic.Anthropic()  # noqa:ANT402,ANT403, ANT401 keep"),
        ("client = anthropic.Anthropic()  # noqa: E501", "client = anthropic.Anthropic()  # noqa: E501  # auditor: ignore[ANT401]"),
        ("client = anthropic.Anthropic()  # the 😀 client", "client = anthropic.Anthropic()  # the 😀 client  # auditor: ignore[ANT401]"),
        ("client = anthropic.Anthropic()  # auditor: ignore-file[ANT402]", "client = anthropic.Anthropic()  # auditor: ignore-file[ANT402]  # auditor: ignore[ANT401]"),
        ("client = anthropic.Anthropic(  # the client", "client = anthropic.Anthropic(  # the client  # auditor: ignore[ANT401]"),
    ],
)
def test_the_suppression_edit_silences_the_code_on_that_line(line: str, expected: str) -> None:
    closing = ")\n" if line.count("(") > line.count(")") else ""  # a call spread over lines
    source = f"import anthropic\n{line}\n{closing}"
    edit = suppression_edit(source, 2, "ANT401")
    assert edit is not None
    changed = _apply(source, edit)
    assert changed.split("\n")[1] == expected
    assert parse_suppressions(changed).silences("ANT401", "client-without-timeout", [2])


def test_no_suppression_edit_where_a_comment_cannot_go() -> None:
    assert suppression_edit('x = f(a, """\ntext\n""")\n', 1, "ANT401") is None  # the line ends in a string
    assert suppression_edit("x = 1 + \\\n    2\n", 1, "ANT401") is None  # a backslash continuation
    assert suppression_edit("x = (\n", 1, "ANT401") is None  # the tokenizer gives up


def test_the_suppress_action_really_silences_the_finding() -> None:
    source = textwrap.dedent(
        """\
        import anthropic
        client = anthropic.Anthropic(timeout=None)  # noqa: ANT401
        """
    )
    [finding] = check_source(source)
    assert (finding.code, finding.span.line) == ("ANT402", 2)
    fix, action = code_actions("file:///x.py", source, [(finding, diagnostic(finding, split_lines(source), UTF16))], UTF16)
    assert (fix.title, fix.is_preferred) == ("Replace `timeout=None` with `timeout=600.0`", None)  # unsafe: not preferred
    assert action.title == "Suppress ANT402 on this line"
    assert action.edit is not None and action.edit.changes is not None
    [text_edit] = action.edit.changes["file:///x.py"]
    assert text_edit == types.TextEdit(types.Range(types.Position(1, 58), types.Position(1, 58)), ", ANT402")
    edit = suppression_edit(source, 2, "ANT402")
    assert edit is not None
    assert check_source(_apply(source, edit)) == []


def test_a_fix_becomes_a_quick_fix_with_utf16_ranges() -> None:
    """A Finding made by hand, with two edits, one on a non-ASCII line."""
    source = "import anthropic\n" + LINE + "\n"
    fix = Fix("Set a 60 s timeout", (Edit(Span(2, 60, 2, 64), "60.0"), Edit(Span(1, 1, 1, 1), "# fixed\n")), safe=True)
    finding = Finding("ANT402", "timeout-disabled", Severity.ERROR, "timeout None", "x.py", Span(2, 60, 2, 64), fix)
    shown = diagnostic(finding, split_lines(source), UTF16)
    fix_action, suppress_action = code_actions("file:///x.py", source, [(finding, shown)], UTF16)
    assert fix_action == types.CodeAction(
        title="Set a 60 s timeout",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[shown],
        edit=types.WorkspaceEdit(
            changes={
                "file:///x.py": [
                    types.TextEdit(types.Range(types.Position(1, 60), types.Position(1, 64)), "60.0"),
                    types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), "# fixed\n"),
                ]
            }
        ),
        is_preferred=True,
    )
    assert suppress_action.title == "Suppress ANT402 on this line"
    assert suppress_action.edit == types.WorkspaceEdit(
        changes={"file:///x.py": [types.TextEdit(types.Range(types.Position(1, 65), types.Position(1, 65)), "  # auditor: ignore[ANT402]")]}
    )


def test_parse_errors_and_unused_suppressions_get_no_suppress_action() -> None:
    for code in ("ANT000", "ANT001"):
        finding = Finding(code, "x", Severity.ERROR, "m", "x.py", Span(1, 1, 1, 1))
        assert code_actions("file:///x.py", "x = 1\n", [(finding, diagnostic(finding, ["x = 1"], UTF16))], UTF16) == []


def test_check_text_checks_the_buffer_not_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.auditor.per-file-ignores]\n"legacy/*" = ["ANT402"]\n', encoding="utf-8")
    (tmp_path / "legacy").mkdir()
    app, old = tmp_path / "app.py", tmp_path / "legacy" / "old.py"
    app.write_text("x = 1\n", encoding="utf-8")
    buffer = "\ufeffimport anthropic\nclient = anthropic.Anthropic(timeout=None)\n"
    resolver = ConfigResolver(None, is_known_selector)
    with analysis_supervisor() as worker:
        result = check_text(buffer, app, resolver.for_path(app), worker)
        assert result.path == "app.py"
        assert [(f.code, f.span) for f in result.findings] == [("ANT402", Span(2, 38, 2, 42))]
        assert check_text(buffer, old, resolver.for_path(old), worker).findings == []
        # The syntax error's column is measured on the buffer, not on the line of the file on disk.
        [error] = check_text("import anthropic\nclient = anthropic.Anthropic(\n", app, Settings(root=tmp_path), worker).findings
        assert (error.code, error.message, error.span) == ("ANT000", "syntax error: '(' was never closed", Span(2, 29, 2, 29))
        assert check_text("x = (\n", app, Settings(root=tmp_path), worker).findings == []  # the prefilter, as in a check


def test_a_buffer_that_would_crash_the_parser_is_refused_in_the_worker(tmp_path: Path) -> None:
    """1,300 nested brackets segfault libcst: the worker's pre-screen refuses the buffer, and
    the same spawned worker checks the next one. (Worker deaths: tests/test_isolation.py.)"""
    app = tmp_path / "app.py"
    settings = Settings(root=tmp_path)
    deep = "import anthropic\nx = " + "(" * 1300 + "1" + ")" * 1300 + "\n"
    with analysis_supervisor(start_method="spawn") as worker:
        [refused] = check_text(deep, app, settings, worker).findings
        assert (refused.code, refused.message) == ("ANT000", "brackets nested deeper than 200 levels: the file was not parsed")
        after = check_text("import anthropic\nclient = anthropic.Anthropic(timeout=None)\n", app, settings, worker)
        assert [(f.code, f.span.line) for f in after.findings] == [("ANT402", 2)]


# --- notebooks -------------------------------------------------------------------------------

NOTEBOOK_CELLS: list[str | None] = [
    None,  # a markdown cell: counted, not checked
    "%pip install anthropic\nimport anthropic\nclient = anthropic.Anthropic(timeout=None)\n",
    "",  # an empty code cell
    '  r = client.messages.create(model="m", max_tokens=32000, messages=[])\n',  # indented as a whole
]


def _as_file(cells: list[str | None]) -> str:
    made = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n"]}
        if text is None
        else {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text.splitlines(keepends=True)}
        for text in cells
    ]
    return json.dumps({"cells": made, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_check_cells_finds_what_check_finds_in_the_file(tmp_path: Path) -> None:
    """The cells an editor holds, checked as one module in the worker: the same findings, cells
    and spans inside them as `auditor check` gives for the file, and fixes inside their cell."""
    notebook = tmp_path / "demo.ipynb"
    with analysis_supervisor() as worker:
        found = check_cells(NOTEBOOK_CELLS, notebook, Settings(root=tmp_path), worker).findings
    in_file = check_source(_as_file(NOTEBOOK_CELLS), path="demo.ipynb")
    assert [(f.code, f.message, f.cell and (f.cell.number, f.cell.span)) for f in found] == [
        (f.code, f.message, f.cell and (f.cell.number, f.cell.span)) for f in in_file
    ]
    assert [(f.code, f.location) for f in found] == [("ANT402", Span(3, 38, 3, 42)), ("ANT101", Span(1, 7, 1, 71))]
    assert [f.cell and f.cell.file_span for f in found] == [f.location for f in found]  # no file: the cell's span
    assert [f.fix and [edit.span for edit in f.fix.edits] for f in found] == [[Span(3, 38, 3, 42)], [Span(1, 3, 1, 70)]]


def _segfault(job: object) -> object:
    os.kill(os.getpid(), signal.SIGSEGV)
    return None


def test_a_finding_without_a_cell_goes_to_the_first_code_cell(tmp_path: Path) -> None:
    """A worker that dies leaves one ANT000 for the whole notebook, at line 1 of the module:
    that is the first code cell with text."""
    with Supervisor(_segfault, _lost_job, workers=1, time_limit=10.0) as crashing:
        [lost] = check_cells(NOTEBOOK_CELLS, tmp_path / "demo.ipynb", Settings(root=tmp_path), crashing).findings
    assert (lost.code, lost.cell, lost.span) == ("ANT000", None, Span(1, 1, 1, 1))
    assert lost.message.startswith("the parser crashed on this file (SIGSEGV)")
    with analysis_supervisor() as worker:
        found = check_cells(NOTEBOOK_CELLS, tmp_path / "demo.ipynb", Settings(root=tmp_path), worker).findings
    assert by_cell([*found, lost], NOTEBOOK_CELLS) == {1: [found[0], lost], 3: [found[1]]}
    assert by_cell([lost], [None, "", "x = 1\n"]) == {2: [lost]}


def test_a_suppression_in_a_cell_is_placed_past_its_ipython_syntax(tmp_path: Path) -> None:
    """`!echo '''` opens a string for the tokenizer, not for IPython: the comment's place is
    found in the cell with its IPython syntax made inert."""
    cell = "!echo '''\nimport anthropic\nclient = anthropic.Anthropic(timeout=None)\n"
    with analysis_supervisor() as worker:
        [finding] = check_cells([None, cell], tmp_path / "demo.ipynb", Settings(root=tmp_path), worker).findings
    assert (finding.code, finding.location) == ("ANT402", Span(3, 38, 3, 42))
    shown = diagnostic(finding, split_lines(cell), UTF16)
    assert code_actions("cell:1", cell, [(finding, shown)], UTF16)[1:] == []  # the fix only
    [_, suppress] = code_actions("cell:1", cell, [(finding, shown)], UTF16, inert_cell(cell))
    assert suppress.edit == types.WorkspaceEdit(
        changes={"cell:1": [types.TextEdit(types.Range(types.Position(2, 42), types.Position(2, 42)), "  # auditor: ignore[ANT402]")]}
    )
    assert inert_cell(cell) == "pass\nimport anthropic\nclient = anthropic.Anthropic(timeout=None)\n"

