"""The plain data every part shares: severities, spans, fixes and findings."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class Severity(enum.Enum):
    """An error is a bug that will bite; a warning is a risk that depends on traffic."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Span:
    """A source range: 1-based lines and 1-based columns, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text of `span` with `content`."""

    span: Span
    content: str


@dataclass(frozen=True)
class Fix:
    message: str
    edits: tuple[Edit, ...]
    safe: bool = False


@dataclass(frozen=True)
class CellLocation:
    """Where a finding in a Jupyter notebook sits: the cell (1-based among all the notebook's
    cells, as ruff and notebook editors count them), the span inside that cell, and the span in
    the `.ipynb` file's own text (its JSON), for tools that open the file as text."""

    number: int
    span: Span
    file_span: Span


@dataclass(frozen=True)
class Finding:
    """One problem. `span` is in the analysed source: the file itself, or for a notebook its
    code cells joined in order; `cell` then says where that is in the notebook. `message` is
    the diagnosis (what is wrong, with the numbers); `help`, when the rule has advice, what to
    do about it: ruff's split, so the one-line formats stay short."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    span: Span
    fix: Fix | None = None
    # Text the baseline fingerprints with: the flagged code, normalised, and its enclosing function.
    context: str = field(default="", compare=False)
    cell: CellLocation | None = None
    help: str | None = None

    def explained(self, separator: str = "\n", after: str = "") -> str:
        """The diagnosis, `after` it (a notebook's cell note), then the help after `separator`:
        for the formats that have a single message field."""
        return f"{self.message}{after}" + (f"{separator}{self.help}" if self.help else "")

    @property
    def location(self) -> Span:
        """The span a reader is shown: inside the cell for a notebook."""
        return self.cell.span if self.cell is not None else self.span

    @property
    def file_span(self) -> Span:
        """The span in the file's own text: what CI annotations and diffs point at."""
        return self.cell.file_span if self.cell is not None else self.span

    @property
    def cell_label(self) -> str:
        """`cell 3:2:5` (cell, line, column) for a notebook finding, else empty."""
        if self.cell is None:
            return ""
        return f"cell {self.cell.number}:{self.cell.span.line}:{self.cell.span.column}"

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.code)


# A lone surrogate: how Python spells a file name byte that is not UTF-8 (b"\xff" -> "\udcff").
_SURROGATE = re.compile("[\ud800-\udfff]")


def printable_path(path: str) -> str:
    """The path as every report shows it: each byte of a file name that is not UTF-8 (possible on
    Linux) becomes `\\xNN`, as Python's own backslashreplace writes it, so that reports are valid
    UTF-8 and the byte can still be told. Other paths are returned unchanged."""
    return path if path.isascii() else _SURROGATE.sub(_escape_surrogate, path)


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
