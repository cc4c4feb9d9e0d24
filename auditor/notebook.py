"""Jupyter notebooks: the code cells of a `.ipynb` file as one Python module, and the way back
from a position in that module to its cell and to the notebook file's own text.

- Code cells are joined in order, line for line, and analysed as one module: a client built in
  cell 2 is the one used in cell 5. Markdown and raw cells add nothing; a notebook whose
  `language_info` names another language (R, Julia) has no Python to check.
- Cells are numbered as ruff and notebook editors number them: 1-based among *all* cells,
  markdown included, so "cell 3" is the third cell on screen.
- IPython syntax becomes inert Python without moving anything around it: a line that starts with
  `%`, `!`, `?`, `,`, `;` or `/`, an `x = !cmd` or `x = %magic` line, a `name?` help line (and
  the lines a trailing backslash joins to them) become `pass` or blank lines, so every other
  line and column stays where it is. `%time`, `%timeit`, `%prun` and `%memit` run Python: their
  statement is kept (`%time r = f()` reads as `pass; r = f()`, columns unchanged). A cell that
  starts with a `%%` magic is blanked, unless the magic runs its body as Python (`%%time`,
  `%%timeit`, `%%capture`, `%%prun`, `%%memit`, `%%debug`): then only that first line goes.
  A cell indented as a whole loses that indentation first, as in IPython; the columns of its
  findings are counted back.
- An editor that holds the notebook open (`auditor server`) gives each cell's text instead of
  the file: `from_cells` joins those the same way.
- The file is read with the standard library's JSON decoder. The notebook's own structure (the
  top-level object, `cells`, each cell's `cell_type` and `source`) is walked here to learn where
  each source string sits in the file, so that CI formats can point at the file's own lines;
  every other value (outputs, attachments, metadata) goes to the decoder whole and is dropped.
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from auditor.findings import CellLocation, Finding, Fix, Span

NOTEBOOK_SUFFIX = ".ipynb"
# Cell magics that run their body as Python (IPython's own and memory_profiler's).
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit", "debug"})
# Line magics whose argument is a Python statement.
_PYTHON_LINE_MAGIC = re.compile(r"%(?:time|timeit|prun|memit)(?:\s+-[A-Za-z]+(?:\s*\d+)?)*\s+(?=\S)")
# IPython's escapes at the start of a statement: magics, shell, help, auto-quote, auto-call; and
# the assignment forms `x = !cmd`, `a, b = %magic`.
_ESCAPE = re.compile(r"[%!?,;/]|[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[!%]")
# "line 12", "lines 5 and 7", "lines 3, 5 and 9" in a message.
_LINE_REFERENCE = re.compile(r"\b(lines?) (\d+(?:(?:, | and )\d+)*)\b")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class NotebookError(ValueError):
    """A file that is not a notebook auditor can read: the reason and where in the file."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason, self.line, self.column = reason, line, column


def is_notebook(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_SUFFIX)


@dataclass
class _CodeCell:
    number: int  # 1-based among all cells
    first: int  # the analysed module's line holding this cell's line 1
    starts: list[int]  # offset in the cell's text of each of its lines
    lengths: list[int]  # length of each of its lines
    indents: list[int]  # columns IPython strips from the start of each line (see _dedent)
    # One entry per JSON string of the cell's source: (offset in the cell's text of its first
    # character, offset in the file of its opening quote).
    strings: list[tuple[int, int]] = field(default_factory=list)


class Notebook:
    """A notebook read for analysis: `source` is what the rules see, `original` the same lines
    as written (to show them under a finding)."""

    def __init__(self, source: str, original: str, text: str | None, cells: list[_CodeCell]) -> None:
        self.source = source
        self.original = original
        self._text = text  # the file's own text, for positions in it; None for an editor's cells
        self._newlines: list[int] | None = None  # offsets of its line breaks
        self._cells = [cell for cell in cells if cell.starts]
        self._firsts = [cell.first for cell in self._cells]

    def place(self, line: int, column: int = 1) -> tuple[int, int, int]:
        """(cell number, line, column in the cell) of a position in the analysed module."""
        cell = self._cell_of(line)
        inside = line - cell.first + 1
        return cell.number, inside, column + _at(cell.indents, inside)

    def locate(self, findings: list[Finding]) -> list[Finding]:
        """The findings with their cell: the span inside it and the span in the file's text."""
        return [self._locate(finding) for finding in findings] if self._cells else findings

    def _cell_of(self, line: int) -> _CodeCell:
        return self._cells[max(bisect.bisect_right(self._firsts, line) - 1, 0)]

    def _locate(self, finding: Finding) -> Finding:
        cell, span = self._cell_span(finding.span)
        location = CellLocation(cell.number, span, self._file_span(cell, span))
        told = self.retell(finding.help) if finding.help is not None else None
        return dataclasses.replace(finding, message=self.retell(finding.message), help=told, cell=location, fix=self._fix(finding.fix, cell))

    def retell(self, text: str) -> str:
        """A message's references to lines of the analysed module ("the clause on line 12",
        "on lines 5 and 7"), told as the notebook's lines ("on line 3 of cell 4"). Code quoted
        in backticks is left alone."""
        parts = re.split(r"(`[^`]*`)", text)
        parts[::2] = [_LINE_REFERENCE.sub(self._retell_reference, part) for part in parts[::2]]
        return "".join(parts)

    def _retell_reference(self, match: re.Match[str]) -> str:
        if not self._cells:
            return match[0]
        places = [self.place(int(number))[:2] for number in re.findall(r"\d+", match[2])]
        separators = re.findall(r", | and ", match[2])
        if len({cell for cell, _ in places}) == 1:
            listed = [str(line) for _, line in places]
            return f"{match[1]} {_interleave(listed, separators)} of cell {places[0][0]}"
        listed = [f"line {line} of cell {cell}" for cell, line in places]
        return _interleave(listed, separators)

    def _cell_span(self, span: Span) -> tuple[_CodeCell, Span]:
        """The span inside its cell; one that runs on into a later cell (code IPython itself
        would reject) is cut at the end of the first."""
        cell = self._cell_of(span.line)
        line = span.line - cell.first + 1
        end_line = span.end_line - cell.first + 1
        end_column = span.end_column + _at(cell.indents, end_line)
        if self._cell_of(span.end_line) is not cell:
            end_line, end_column = len(cell.lengths), cell.lengths[-1] + 1
        return cell, Span(line, span.column + _at(cell.indents, line), end_line, end_column)

    def _fix(self, fix: Fix | None, cell: _CodeCell) -> Fix | None:
        """A fix's edits inside the cell; a fix that reaches outside it is dropped."""
        if fix is None:
            return None
        edits = []
        for edit in fix.edits:
            edit_cell, span = self._cell_span(edit.span)
            if edit_cell is not cell or self._cell_of(edit.span.end_line) is not cell:
                return None
            edits.append(dataclasses.replace(edit, span=span))
        return dataclasses.replace(fix, edits=tuple(edits))

    def _file_span(self, cell: _CodeCell, span: Span) -> Span:
        """The span in the file's text; for an editor's cells (no file), the span in the cell."""
        if self._text is None:
            return span
        start = self._file_position(cell, self._text, span.line, span.column)
        return Span(*start, *self._file_position(cell, self._text, span.end_line, span.end_column))

    def _file_position(self, cell: _CodeCell, text: str, line: int, column: int) -> tuple[int, int]:
        """Line and column in the file's text of a position in a cell: inside the JSON string
        that holds it, counting escapes (`\\"`, `\\n`, `\\u00e9`) as the characters they stand for."""
        if line <= len(cell.starts):
            offset = cell.starts[line - 1] + column - 1
        else:  # past the cell's end (a syntax error at the end of the module)
            offset = cell.starts[-1] + cell.lengths[-1]
        index = max(bisect.bisect_right([start for start, _ in cell.strings], offset) - 1, 0)
        start, quote = cell.strings[index]
        at = _raw_offset(text, quote, offset - start)
        if self._newlines is None:  # found once, and only for a notebook with findings
            self._newlines = [match.start() for match in re.finditer("\n", text)]
        line_index = bisect.bisect_left(self._newlines, at)
        line_start = self._newlines[line_index - 1] + 1 if line_index else 0
        return line_index + 1, at - line_start + 1


def _at(values: list[int], line: int) -> int:
    """A per-line value of a cell, 0 past its last line."""
    return values[line - 1] if line <= len(values) else 0


def _interleave(items: list[str], separators: list[str]) -> str:
    return "".join(item + separator for item, separator in zip(items, [*separators, ""]))


def _raw_offset(text: str, quote: int, count: int) -> int:
    """The offset in `text` of the `count`-th character of the JSON string opening at `quote`
    (its closing quote if the string is shorter)."""
    at = quote + 1
    for _ in range(count):
        if text[at] == '"':
            break
        if text[at] != "\\":
            at += 1
        elif text[at + 1] != "u":
            at += 2
        else:
            high = int(text[at + 2 : at + 6], 16)
            at += 6
            # A surrogate pair (\ud83d\ude00) is one character.
            if 0xD800 <= high < 0xDC00 and text.startswith("\\u", at) and 0xDC00 <= int(text[at + 2 : at + 6], 16) < 0xE000:
                at += 6
    return at


# ---------------------------------------------------------------------------------------------
# Reading the file


@dataclass
class _RawCell:
    kind: object
    strings: list[tuple[str, int]]  # (value, offset of its opening quote) of each source string


class _Reader:
    """A cursor over the file's JSON text. The notebook's structure is walked here; every other
    value goes to the standard decoder whole."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def peek(self) -> str:
        match = _WHITESPACE.match(self.text, self.at)
        self.at = match.end() if match else self.at
        return self.text[self.at : self.at + 1]

    def fail(self, message: str) -> NoReturn:
        raise json.JSONDecodeError(message, self.text, self.at)

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.at += 1
            return True
        return False

    def expect(self, char: str, message: str) -> None:
        if not self.take(char):
            self.fail(message)

    def value(self) -> Any:
        self.peek()
        value, self.at = _DECODER.raw_decode(self.text, self.at)
        return value

    def keys(self) -> Iterator[str]:
        """The keys of the object at the cursor; the caller reads each value before the next."""
        self.expect("{", "Expecting '{'")
        if self.take("}"):
            return
        while True:
            if self.peek() != '"':
                self.fail("Expecting property name enclosed in double quotes")
            key = self.value()
            self.expect(":", "Expecting ':' delimiter")
            yield key
            if not self.take(","):
                self.expect("}", "Expecting ',' delimiter")
                return

    def items(self) -> Iterator[int]:
        """The indexes of the array at the cursor; the caller reads each item before the next."""
        self.expect("[", "Expecting '['")
        if self.take("]"):
            return
        index = 0
        while True:
            yield index
            index += 1
            if not self.take(","):
                self.expect("]", "Expecting ',' delimiter")
                return

    def position(self, offset: int) -> tuple[int, int]:
        return self.text.count("\n", 0, offset) + 1, offset - self.text.rfind("\n", 0, offset)


def read_notebook(data: bytes) -> Notebook:
    """The notebook's code cells as one module, or NotebookError saying why it cannot be read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotebookError(f"not UTF-8 text (byte {error.start})") from None
    if text.startswith("\ufeff"):
        text = " " + text[1:]  # a space keeps every offset
    reader = _Reader(text)
    try:
        top, cells = _read_top(reader)
    except json.JSONDecodeError as error:
        raise NotebookError(f"invalid JSON: {error.msg}", error.lineno, error.colno) from None
    version = top.get("nbformat")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NotebookError("no `nbformat` version: not a Jupyter notebook")
    if version < 4:
        raise NotebookError(f"nbformat {version} is too old: auditor reads nbformat 4 and newer (open and save it in Jupyter to upgrade)")
    if cells is None:
        raise NotebookError("no `cells` list")
    metadata = top.get("metadata")
    language = metadata.get("language_info", {}) if isinstance(metadata, dict) else {}
    name = language.get("name") if isinstance(language, dict) else None
    if isinstance(name, str) and name and not name.lower().startswith(("python", "ipython")):
        cells = []  # an R or Julia notebook: no Python to check
    return _join(text, cells)


def _read_top(reader: _Reader) -> tuple[dict[str, Any], list[_RawCell] | None]:
    if reader.peek() != "{":
        value = reader.value()  # raises for text that is not JSON at all
        raise NotebookError(f"the file holds a JSON {type(value).__name__}, not a notebook object")
    top: dict[str, Any] = {}
    cells = None
    for key in reader.keys():
        if key == "cells":
            cells = _read_cells(reader)
        else:
            top[key] = reader.value()
    if reader.peek():
        reader.fail("Extra data")
    return top, cells


def _read_cells(reader: _Reader) -> list[_RawCell]:
    if reader.peek() != "[":
        _not_a(reader, "`cells` is not a list")
    cells = []
    for index in reader.items():
        number, start = index + 1, reader.at
        if reader.peek() != "{":
            _not_a(reader, f"cell {number} is not a JSON object")
        kind: object = None
        strings: list[tuple[str, int]] | None = None
        for key in reader.keys():
            if key == "cell_type":
                kind = reader.value()
            elif key == "source":
                strings = _read_source(reader, number)
            else:
                reader.value()
        if kind is None:
            raise NotebookError(f"cell {number} has no `cell_type`", *reader.position(start + 1))
        if strings is None:
            raise NotebookError(f"cell {number} has no `source`", *reader.position(start + 1))
        cells.append(_RawCell(kind, strings))
    return cells


def _read_source(reader: _Reader, number: int) -> list[tuple[str, int]]:
    bad = f"cell {number}: `source` is neither a string nor a list of strings"
    if reader.peek() == '"':
        return [_read_string(reader)]
    if reader.peek() != "[":
        _not_a(reader, bad)
    strings = []
    for _ in reader.items():
        if reader.peek() != '"':
            _not_a(reader, bad)
        strings.append(_read_string(reader))
    return strings


def _not_a(reader: _Reader, reason: str) -> NoReturn:
    """A value of the wrong kind: bad JSON is reported as such first, then the reason."""
    at = reader.at
    reader.value()
    raise NotebookError(reason, *reader.position(at))


def _read_string(reader: _Reader) -> tuple[str, int]:
    reader.peek()
    quote = reader.at
    return reader.value(), quote


def from_cells(cells: Sequence[str | None]) -> Notebook:
    """The notebook an editor holds open: the text of each cell in order, None for a cell that
    is not Python code (markdown, raw, another language), which only counts in the numbering.
    Its findings' `file_span` is their span in the cell: there is no file text to point into."""
    return _join(None, [_RawCell("code", [(text, 0)]) if text is not None else _RawCell(None, []) for text in cells])


def inert_cell(text: str) -> str:
    """One cell's text with its IPython syntax made inert, line for line and column for column
    and not dedented: text the tokenizer reads as the editor shows it (where a comment can go)."""
    lines, _ = _split_lines(text)
    return "".join(line + "\n" for line in neutralise(lines))


def _join(text: str | None, raw_cells: list[_RawCell]) -> Notebook:
    source: list[str] = []
    original: list[str] = []
    cells: list[_CodeCell] = []
    for number, raw in enumerate(raw_cells, 1):
        if raw.kind != "code":
            continue
        cell_text = "".join(value for value, _ in raw.strings)
        lines, starts = _split_lines(cell_text)
        strings, offset = [], 0
        for value, quote in raw.strings:
            strings.append((offset, quote))
            offset += len(value)
        dedented, indents = _dedent(lines)
        cells.append(_CodeCell(number, len(source) + 1, starts, [len(line) for line in lines], indents, strings))
        original += lines
        source += neutralise(dedented)
    return Notebook("".join(line + "\n" for line in source), "".join(line + "\n" for line in original), text, cells)


def _dedent(lines: list[str]) -> tuple[list[str], list[int]]:
    """IPython's first step: a cell whose first non-blank line is indented loses that
    indentation on every line that starts with it. Returns the lines and what each lost."""
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return lines, [0] * len(lines)
    indents = [len(indent) if line.startswith(indent) else 0 for line in lines]
    return [line[width:] for line, width in zip(lines, indents)], indents


def _split_lines(text: str) -> tuple[list[str], list[int]]:
    """The lines of a cell (without their endings) and the offset of each; a final line break
    does not start another line."""
    lines, starts, at = [], [], 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[at : match.start()])
        starts.append(at)
        at = match.end()
    if at < len(text):
        lines.append(text[at:])
        starts.append(at)
    return lines, starts


# ---------------------------------------------------------------------------------------------
# IPython syntax


@dataclass(frozen=True)
class _Scan:
    """Where a line leaves the Python tokenizer: inside brackets, inside a string, or joined to
    the next line by a backslash; and where its comment starts."""

    depth: int = 0
    quote: str = ""
    joined: bool = False
    comment: int = -1

    @property
    def at_statement_start(self) -> bool:
        return self.depth == 0 and not self.quote and not self.joined


def _scan(line: str, state: _Scan) -> _Scan:
    """Follow brackets and strings through one line. String prefixes need no care (a raw string
    ends where any other does); an f-string that nests its own quote (Python 3.12) is misread."""
    depth, quote, at, length = state.depth, state.quote, 0, len(line)
    comment = -1
    while at < length:
        char = line[at]
        if quote:
            if char == "\\":
                at += 2
            elif line.startswith(quote, at):
                at += len(quote)
                quote = ""
            else:
                at += 1
            continue
        if char == "#":
            comment = at
            break
        if char in "'\"":
            quote = line[at : at + 3] if line[at : at + 3] in ("'''", '"""') else char
            at += len(quote)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        at += 1
    if len(quote) == 1 and at <= length:
        quote = ""  # a one-quote string ends with its line unless a backslash continues it
    return _Scan(depth, quote, not quote and comment < 0 and line.endswith("\\"), comment)


def neutralise(lines: list[str]) -> list[str]:
    """The lines of one code cell with IPython syntax made inert, line for line and column for
    column (see the module docstring)."""
    out = list(lines)
    first = next((index for index, line in enumerate(lines) if line.strip()), len(lines))
    if first < len(lines) and lines[first].startswith("%%"):
        name = re.match(r"%%(\w*)", lines[first])
        if name is None or name.group(1) not in PYTHON_CELL_MAGICS:
            return [""] * len(lines)
        out[first] = "pass"
        first += 1
    state, joined = _Scan(), False
    for index in range(first, len(lines)):
        line = lines[index]
        if joined:  # a line the previous IPython line continued with a backslash
            out[index], joined = "", line.endswith("\\")
            continue
        if state.at_statement_start:
            replacement = _inert(line)
            if replacement is not None:
                out[index] = replacement
                if not replacement.lstrip().startswith("pass;"):
                    joined = line.endswith("\\")
                    continue
        state = _scan(out[index], state)
    return out


def _inert(line: str) -> str | None:
    """The inert form of a line that starts a statement, or None if it is plain Python."""
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    if not stripped:
        return None
    magic = _PYTHON_LINE_MAGIC.match(stripped)
    if magic is not None:
        kept = indent + "pass;".ljust(magic.end()) + stripped[magic.end() :]
        if _compiles(kept.lstrip()):
            return kept
        return indent + "pass"
    if _ESCAPE.match(stripped):
        return indent + "pass"
    scan = _scan(line, _Scan())
    code = line if scan.comment < 0 else line[: scan.comment]
    if not scan.quote and code.rstrip().endswith("?"):  # `client.messages.create?`
        return indent + "pass"
    return None


def _compiles(statement: str) -> bool:
    """Whether one line is a Python statement (compiled to a tree, never run)."""
    try:
        compile(statement, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
