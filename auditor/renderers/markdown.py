"""Markdown for a pull request comment or `$GITHUB_STEP_SUMMARY`: a summary a reviewer reads
before the diff, then every finding grouped by file. A finding's cell holds the diagnosis and,
after a line break, the rule's advice (`help: ...`): a reviewer reads the comment instead of the
terminal output, so what to do belongs in it."""

from __future__ import annotations

from collections import Counter

from auditor.findings import Finding, Severity
from auditor.renderers import HELP_LINE, RunResult
from auditor.renderers.json_format import host_root, report_path


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def escape_cell(text: str) -> str:
    """Keep a value inside its table cell: a `|` would start a new cell and a newline end the row.

    `\\|` works even inside a code span (GFM splits cells before parsing inlines); backslashes are
    left alone, since messages quote code in backticks, where a doubled backslash would show.
    """
    text = text.replace("|", "\\|")
    return text.replace("\r\n", "<br>").replace("\r", "<br>").replace("\n", "<br>")


def _code_span(text: str) -> str:
    """Inline code that survives backticks in the text (a longer fence than any run inside)."""
    fence = "`"
    while fence in text:
        fence += "`"
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _summary(findings: list[Finding], files_checked: int, files_with_findings: int) -> str:
    if not findings:
        return f"No problems found in {_plural(files_checked, 'file')}."
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    return (
        f"Found {_plural(len(findings), 'problem')} "
        f"({_plural(errors, 'error')}, {_plural(warnings, 'warning')}) "
        f"in {_plural(files_with_findings, 'file')}."
    )


def render_markdown(result: RunResult) -> str:
    """Heading, summary line, counts by rule, then one table per file, in path order."""
    findings = sorted(result.findings, key=lambda f: f.sort_key)
    base = host_root(result.root, "GITHUB_WORKSPACE")  # a job summary names files as the repository does
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(report_path(finding.path, base), []).append(finding)

    lines = ["## auditor", "", _summary(findings, result.files_checked, len(by_file))]
    if result.baseline_hidden > 0:
        hidden = _plural(result.baseline_hidden, "known problem")
        verb = "was" if result.baseline_hidden == 1 else "were"
        lines += ["", f"{hidden} {verb} hidden by the baseline."]

    if findings:
        counts = Counter(f.code for f in findings)
        first: dict[str, Finding] = {}
        for finding in findings:
            first.setdefault(finding.code, finding)
        lines += ["", "| Code | Name | Severity | Count |", "| --- | --- | --- | ---: |"]
        for code in sorted(counts):
            rule = first[code]
            lines.append(
                f"| {escape_cell(code)} | {escape_cell(rule.name)} "
                f"| {rule.severity.value} | {counts[code]} |"
            )
        for path in sorted(by_file):
            lines += ["", f"### {_code_span(path)}", ""]
            lines += ["| Location | Code | Message |", "| --- | --- | --- |"]
            for finding in by_file[path]:
                location = finding.cell_label or f"{finding.span.line}:{finding.span.column}"
                lines.append(
                    f"| {location} | {escape_cell(finding.code)} | {escape_cell(finding.explained(HELP_LINE))} |"
                )
    return "\n".join(lines) + "\n"
