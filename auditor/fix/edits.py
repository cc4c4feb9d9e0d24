"""Text edits: build them from libcst nodes, and apply them to source text.

Spans are 1-based lines and columns counted in str characters, end exclusive (as in findings).
A line ends at `\\r\\n`, `\\n` or `\\r`, as for Python's tokenizer: never at a form feed, which
`str.splitlines` would split on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from auditor.findings import Edit, Span

if TYPE_CHECKING:
    import libcst as cst

    from auditor.sdk.model import SdkModel

_LINE_END = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The lines of `text`, each with its line ending (the last may have none)."""
    lines, start = [], 0
    for match in _LINE_END.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def newline_of(text: str) -> str:
    """The file's line ending: the first one it uses, `\\n` for a file of one line."""
    match = _LINE_END.search(text)
    return match.group() if match else "\n"


def _line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in _LINE_END.finditer(text))]


def _offset(starts: list[int], text: str, line: int, column: int) -> int:
    if not 1 <= line <= len(starts):
        raise ValueError(f"line {line} is outside the file")
    offset = starts[line - 1] + column - 1
    end = starts[line] if line < len(starts) else len(text)
    if not starts[line - 1] <= offset <= end:
        raise ValueError(f"column {column} is outside line {line}")
    return offset


class OffsetMap:
    """Offsets of one text's spans, and where they land once some edits are applied."""

    def __init__(self, text: str, edits: Sequence[Edit]) -> None:
        self.text = text
        self.starts = _line_starts(text)
        self.edits = sorted((self.offset(e.span.line, e.span.column), self.offset(e.span.end_line, e.span.end_column), len(e.content)) for e in edits)

    def offset(self, line: int, column: int) -> int:
        return _offset(self.starts, self.text, line, column)

    def after(self, offset: int, end: bool = False) -> int:
        """Where `offset` is once the edits are applied; inside an edit, its new text's start
        (or, with `end`, its end)."""
        shift = 0
        for start, stop, length in self.edits:
            if offset < start or (offset == start and not end):
                break
            if offset < stop or offset == start:
                return start + shift + (length if end else 0)
            shift += length - (stop - start)
        return offset + shift


def span_offsets(text: str, span: Span) -> tuple[int, int]:
    starts = _line_starts(text)
    return _offset(starts, text, span.line, span.column), _offset(starts, text, span.end_line, span.end_column)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """`text` with every edit applied. Edits must not overlap (ValueError if they do); two
    insertions at the same place keep their given order."""
    starts = _line_starts(text)
    placed = sorted(
        ((_offset(starts, text, e.span.line, e.span.column), _offset(starts, text, e.span.end_line, e.span.end_column), i, e.content) for i, e in enumerate(edits)),
    )
    out, position = [], 0
    for start, end, _, content in placed:
        if start < position or end < start:
            raise ValueError("overlapping edits")
        out.append(text[position:start])
        out.append(content)
        position = end
    out.append(text[position:])
    return "".join(out)


def offsets_overlap(first: Sequence[Edit], second: Sequence[Edit]) -> bool:
    """Do any two edits of two fixes touch the same text? Touching ends count: two fixes that
    meet at a point are applied in different rounds, so neither sees the other's text."""
    return any(
        (a.span.line, a.span.column) <= (b.span.end_line, b.span.end_column)
        and (b.span.line, b.span.column) <= (a.span.end_line, a.span.end_column)
        for a in first
        for b in second
    )


def _advance(line: int, column: int, text: str) -> tuple[int, int]:
    """The position after `text` when it starts at (line, column)."""
    ends = list(_LINE_END.finditer(text))
    if not ends:
        return line, column + len(text)
    return line + len(ends), len(text) - ends[-1].end() + 1


def replace_text(line: int, column: int, old: str, new: str) -> Edit:
    """The smallest edit that turns `old`, which starts at (line, column), into `new`: the
    common head and tail are left alone, so an added keyword is one insertion."""
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    # Never split a \r\n: the edit would leave half a line ending behind.
    if head and old[head - 1] == "\r" and old[head : head + 1] == "\n":
        head -= 1
    if tail and old[len(old) - tail - 1 : len(old) - tail] == "\r" and old[len(old) - tail] == "\n":
        tail -= 1
    start = _advance(line, column, old[:head])
    end = _advance(line, column, old[: len(old) - tail])
    return Edit(Span(*start, *end), new[head : len(new) - tail])


def replace_node(model: SdkModel, node: cst.CSTNode, new: cst.CSTNode, whole: bool = False) -> Edit:
    """The edit that puts `new` where `node` is. The top-level statement around the node is
    generated again with the node replaced, so the new code is laid out in its real place
    (indentation, line endings). The edit is the smallest that does it, or with `whole` the
    node's full text, parentheses included: two such fixes of one node then overlap and go in
    separate rounds."""
    import libcst as cst

    top: cst.CSTNode = node
    for ancestor in model.ancestors(node):
        if isinstance(ancestor, cst.Module):
            break
        top = ancestor
    new_top = new if top is node else top.deep_replace(node, new)
    old_code, new_code = model.code(top), model.code(new_top)  # a top-level statement: no outer indentation
    line = _first_line(model, top)
    if not _is_at(source_of(model.module), line, old_code):  # never expected: then the whole module
        changed = model.module.deep_replace(node, new)
        assert isinstance(changed, cst.Module)
        old_code, new_code, line = source_of(model.module), changed.code, 1
    if not whole:
        return replace_text(line, 1, old_code, new_code)
    first, last = (getattr(node, "lpar", None) or [node])[0], (getattr(node, "rpar", None) or [node])[-1]
    start, end = model.position(first).start, model.position(last).end
    span = Span(start.line, start.column + 1, end.line, end.column + 1)
    low, high = span_offsets(old_code, Span(span.line - line + 1, span.column, span.end_line - line + 1, span.end_column))
    return Edit(span, new_code[low : high + len(new_code) - len(old_code)])


def _first_line(model: SdkModel, top: cst.CSTNode) -> int:
    """The line where a top-level statement's code starts: its leading comments and blank
    lines, then its decorators' (a position starts at the `def` itself)."""
    lead = len(getattr(top, "leading_lines", ()))
    decorators = getattr(top, "decorators", ())
    if decorators:
        return model.position(decorators[0]).start.line - len(decorators[0].leading_lines) - lead
    return model.position(top).start.line - lead


def _is_at(text: str, line: int, code: str) -> bool:
    """Does `code` stand in `text` from the start of `line`? (The last statement of a file
    without a final newline is generated with one.)"""
    starts = _line_starts(text)
    if not 1 <= line <= len(starts):
        return False
    found = text[starts[line - 1] : starts[line - 1] + len(code)]
    return found == code or (starts[line - 1] + len(found) == len(text) and code[len(found) :] in ("\n", "\r\n", "\r"))


@functools.lru_cache(maxsize=4)
def source_of(module: cst.Module) -> str:
    """The module's text (libcst reproduces it exactly), made once for all of its fixes."""
    return module.code


def without_item(items: Sequence[cst.Arg] | Sequence[cst.BaseElement], index: int) -> list[cst.CSTNode] | None:
    """`items` (call arguments or tuple elements) without the one at `index`, commas mended:
    the item before a removed last one takes its comma, so no stray `, )` is left. None when
    the removed text holds a comment, which would be lost."""
    import libcst as cst

    removed = items[index]
    gone: list[object] = [removed]
    if index and index == len(items) - 1:
        gone.append(items[index - 1].comma)  # replaced by the removed item's own comma
    module = cst.Module(body=())
    if any(isinstance(node, cst.CSTNode) and "#" in module.code_for_node(node) for node in gone):
        return None
    kept: list[cst.CSTNode] = [item for i, item in enumerate(items) if i != index]
    if index and index == len(items) - 1:
        kept[-1] = items[index - 1].with_changes(comma=removed.comma)
    return kept
