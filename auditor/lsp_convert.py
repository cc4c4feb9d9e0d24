"""Findings in the language server's terms: diagnostics, hover text and code actions.

auditor counts 1-based lines and 1-based columns in code points; LSP counts 0-based lines and
columns in the code units of the encoding agreed at initialize (UTF-16 unless the client offers
another). Every range goes through `to_range`, so a line with an accent or an emoji before the
flagged code still underlines the right characters.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence

from lsprotocol import types

from auditor.findings import Edit, Finding, Severity, Span
from auditor.renderers import cell_note
from auditor.suppression import listed_codes_end

SOURCE = "auditor"
UNSUPPRESSIBLE = ("ANT000", "ANT001")  # no comment is read in an unparsable file; ANT001 judges comments
HOVER_HELP = "\n\nhelp: "  # the advice as a paragraph of its own under the diagnosis
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line breaks of Python and of LSP (not str.splitlines')


def split_lines(source: str) -> list[str]:
    """The lines as LSP numbers them, without their line breaks."""
    return _LINE_BREAK.split(source)


def code_units(text: str, encoding: str) -> int:
    """The length of `text` in the agreed encoding's code units."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def to_position(lines: Sequence[str], line: int, column: int, encoding: str) -> types.Position:
    """1-based line and code-point column -> an LSP position, clamped to the text (a syntax
    error can point one past the end of a line, or at a line after the last)."""
    if line > len(lines):
        return types.Position(max(len(lines) - 1, 0), code_units(lines[-1], encoding) if lines else 0)
    text = lines[max(line, 1) - 1]
    return types.Position(max(line, 1) - 1, code_units(text[: max(column, 1) - 1], encoding))


def to_range(lines: Sequence[str], span: Span, encoding: str) -> types.Range:
    return types.Range(
        to_position(lines, span.line, span.column, encoding),
        to_position(lines, span.end_line, span.end_column, encoding),
    )


def diagnostic(finding: Finding, lines: Sequence[str], encoding: str, in_notebook_json: bool = False) -> types.Diagnostic:
    """The finding where the reader sees it: in its cell for a notebook's cell document; with
    `in_notebook_json`, in a `.ipynb` file's own JSON text, naming the cell as the github format does.
    The message is the diagnosis, then the advice on a line of its own: editors show both."""
    severity = types.DiagnosticSeverity.Error if finding.severity is Severity.ERROR else types.DiagnosticSeverity.Warning
    span, message = finding.location, finding.explained()
    if in_notebook_json:
        span, message = finding.file_span, finding.explained(after=cell_note(finding))
    return types.Diagnostic(
        range=to_range(lines, span, encoding),
        message=message,
        severity=severity,
        code=finding.code,
        source=SOURCE,
    )


def by_cell(findings: Sequence[Finding], cells: Sequence[str | None]) -> dict[int, list[Finding]]:
    """A notebook's findings by the index of their cell among `cells` (the text of each, None
    if it is not Python code). One without a cell (the check was stopped or its worker lost: an
    ANT000 for the whole notebook, at line 1) goes to the first code cell with text, where line 1 is."""
    first = next((index for index, text in enumerate(cells) if text), 0)
    placed: dict[int, list[Finding]] = {}
    for finding in findings:
        placed.setdefault(first if finding.cell is None else finding.cell.number - 1, []).append(finding)
    return placed


def contains(outer: types.Range, position: types.Position) -> bool:
    start, end = outer.start, outer.end
    return (start.line, start.character) <= (position.line, position.character) <= (end.line, end.character)


def overlaps(first: types.Range, second: types.Range) -> bool:
    return contains(first, second.start) or contains(first, second.end) or contains(second, first.start)


def hover_text(finding: Finding, documentation: str) -> str:
    """Markdown: the finding and its advice, then its rule's documentation (what `auditor rule CODE` prints)."""
    return f"**{finding.code}** `{finding.name}` ({finding.severity.value})\n\n{finding.explained(HOVER_HELP)}\n\n---\n\n{documentation}"


def suppression_edit(source: str, line: int, code: str) -> Edit | None:
    """The edit that silences `code` on `line`: the code added to the line's auditor comment
    (`# auditor: ignore[...]`, or a `# noqa:` that already names an auditor code), else a new
    `# auditor: ignore[CODE]` at the end of the line. None where no comment can go: a line that
    ends inside a string or with a backslash, or text the tokenizer rejects."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    if any(t.start[0] <= line < t.end[0] for t in tokens):
        return None  # the line ends inside a token: a comment would land in a string
    comment = next((t for t in tokens if t.type == tokenize.COMMENT and t.start[0] == line), None)
    text = split_lines(source)[line - 1]
    code_end = len(text.rstrip())
    if comment is not None:
        codes_end = listed_codes_end(comment.string)
        if codes_end is not None:
            return _insert(line, comment.start[1] + codes_end, f", {code}")
    elif text[:code_end].endswith("\\"):
        return None
    return Edit(Span(line, code_end + 1, line, len(text) + 1), f"  # auditor: ignore[{code}]")


def _insert(line: int, offset: int, content: str) -> Edit:
    return Edit(Span(line, offset + 1, line, offset + 1), content)


def text_edits(edits: Sequence[Edit], lines: Sequence[str], encoding: str) -> list[types.TextEdit]:
    return [types.TextEdit(to_range(lines, edit.span, encoding), edit.content) for edit in edits]


def quick_fix(
    title: str, uri: str, edits: Sequence[Edit], lines: Sequence[str], encoding: str, fixes: types.Diagnostic, preferred: bool = False
) -> types.CodeAction:
    """A quick fix that applies `edits` (auditor spans) to the document at `uri`."""
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[fixes],
        edit=types.WorkspaceEdit(changes={uri: text_edits(edits, lines, encoding)}),
        is_preferred=preferred or None,
    )


def code_actions(
    uri: str, source: str, findings: Sequence[tuple[Finding, types.Diagnostic]], encoding: str, comments_in: str | None = None
) -> list[types.CodeAction]:
    """For each finding: its fix when it carries one, then "Suppress CODE on this line".
    `comments_in` is `source` as the tokenizer should read it to place a comment, line for line
    and column for column (a notebook cell's text with its IPython syntax made inert)."""
    lines = split_lines(source)
    actions = []
    for finding, shown in findings:
        if finding.fix is not None:
            actions.append(quick_fix(finding.fix.message, uri, finding.fix.edits, lines, encoding, shown, finding.fix.safe))
        if finding.code in UNSUPPRESSIBLE:
            continue
        edit = suppression_edit(source if comments_in is None else comments_in, finding.location.line, finding.code)
        if edit is not None:
            actions.append(quick_fix(f"Suppress {finding.code} on this line", uri, [edit], lines, encoding, shown))
    return actions
