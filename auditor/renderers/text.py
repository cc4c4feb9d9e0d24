"""The terminal formats: `full` (finding, source line, caret, then the advice on a `= help:`
line, as ruff prints it) and `concise` (one line each: the diagnosis without the advice)."""

from __future__ import annotations

from auditor.findings import Finding, Severity, printable_path
from auditor.renderers import RunResult

_RED, _YELLOW, _BOLD, _CYAN, _DIM, _RESET = "\033[31m", "\033[33m", "\033[1m", "\033[36m", "\033[2m", "\033[0m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text


def _location(finding: Finding) -> str:
    """`path:line:column`, or ruff's `path:cell 3:2:5` for a notebook (the line inside the cell)."""
    path = printable_path(finding.path)
    if finding.cell is not None:
        return f"{path}:{finding.cell_label}"
    return f"{path}:{finding.span.line}:{finding.span.column}"


def _head(finding: Finding, color: bool) -> str:
    where = _location(finding) + ":"
    style = _RED if finding.severity is Severity.ERROR else _YELLOW
    return f"{_paint(where, _BOLD, color)} {_paint(finding.code, _BOLD + style, color)} {finding.message}"


def _snippet(finding: Finding, lines: dict[int, str] | None, color: bool) -> list[str]:
    """The flagged line, a caret under the span (to the line's end for a multi-line span), and
    the help with its `=` under the gutter's `|`. `lines` is keyed by the analysed source's
    lines; the gutter and the caret follow the place a reader sees (inside its cell, for a
    notebook)."""
    if not lines or finding.span.line not in lines:
        return _help(finding, "  ", color)
    text = lines[finding.span.line].expandtabs(1)
    span = finding.location
    start = max(span.column - 1, 0)
    if span.end_line == span.line:
        end = max(span.end_column - 1, start + 1)
    else:
        end = max(len(text.rstrip()), start + 1)
    gutter = f"{span.line} | "
    pad = " " * (len(gutter) - 2) + "| "
    marker = " " * start + "^" * (end - start)
    shown = [_paint(gutter, _CYAN, color) + text, _paint(pad, _CYAN, color) + _paint(marker, _RED, color)]
    return shown + _help(finding, " " * (len(gutter) - 2), color)


def _help(finding: Finding, indent: str, color: bool) -> list[str]:
    """`  = help: <advice>`, or nothing for a rule with no advice."""
    if not finding.help:
        return []
    return [f"{indent}{_paint('=', _CYAN, color)} {_paint('help:', _BOLD, color)} {finding.help}"]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def summary_line(result: RunResult) -> str:
    """The closing line; with fixes in play, what was fixed and what more a flag would fix:
    "Found 3 problems (1 fixed, 2 remaining: ...)." as ruff words it."""
    findings = result.findings
    hidden = f" ({result.baseline_hidden} hidden by the baseline)" if result.baseline_hidden else ""
    if not findings and not result.fixed:
        return f"All checks passed: no problems in {_plural(result.files_checked, 'file')}.{hidden}"
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    parts = f"{_plural(errors, 'error')}, {_plural(len(findings) - errors, 'warning')}"
    files = len({f.path for f in findings})
    if result.fixing:
        total = len(findings) + result.fixed
        remaining = f"{len(findings)} remaining: {parts}" if findings else "0 remaining"
        line = f"Found {_plural(total, 'problem')} ({result.fixed} fixed, {remaining})"
        line += f" in {_plural(files, 'file')}.{hidden}" if findings else f".{hidden}"
        if result.unsafe_fixable:
            line += f" {result.unsafe_fixable} more fixable with --unsafe-fixes."
        return line
    line = f"Found {_plural(len(findings), 'problem')} ({parts}) in {_plural(files, 'file')}.{hidden}"
    if result.fixable:  # only when a plain --fix would do something, as ruff's [*] line
        more = f" ({result.unsafe_fixable} more with --unsafe-fixes)" if result.unsafe_fixable else ""
        line += f"\n[*] {result.fixable} fixable with --fix{more}."
    return line


def render_full(result: RunResult) -> str:
    out: list[str] = []
    for finding in sorted(result.findings, key=lambda f: f.sort_key):
        out.append(_head(finding, result.color))
        out.extend(_snippet(finding, result.sources.get(finding.path), result.color))
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def render_concise(result: RunResult) -> str:
    return "".join(_head(f, result.color) + "\n" for f in sorted(result.findings, key=lambda f: f.sort_key))
