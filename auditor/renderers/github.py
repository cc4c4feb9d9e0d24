"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request diff.

    ::error file=pkg/mod.py,line=3,col=5,endLine=3,endColumn=17,title=ANT101 rule-name::ANT101 ...%0Ahelp: ...

The annotation's text is the diagnosis, then the rule's advice on a second line (`help: ...`,
the newline escaped as `%0A` as the runner's toolkit does). No upload step or token is needed:
the runner turns these stdout lines into annotations.
"""

from __future__ import annotations

from auditor.findings import Finding, Severity
from auditor.renderers import HELP_LINE, RunResult, cell_note
from auditor.renderers.json_format import host_root, report_path

# Anything that is neither an error nor a warning becomes a notice, GitHub's third level.
_COMMANDS: dict[Severity, str] = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def escape_data(text: str) -> str:
    """Escape the message part, as the runner's own toolkit does (`%` first, or it would double)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a `key=value` property: `:` and `,` would otherwise end the value early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(finding: Finding, path: str) -> str:
    span = finding.file_span  # a notebook's annotation sits on its JSON line; the message names the cell
    properties: list[tuple[str, str]] = [("file", path), ("line", str(span.line))]
    # GitHub only honours columns on a single-line annotation: with line != endLine it rejects or
    # misplaces `col`/`endColumn`, so a multi-line span is reported by its lines alone.
    single_line = span.line == span.end_line
    if single_line:
        properties.append(("col", str(span.column)))
    properties.append(("endLine", str(span.end_line)))
    if single_line:
        properties.append(("endColumn", str(span.end_column)))
    properties.append(("title", f"{finding.code} {finding.name}"))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    command = _COMMANDS.get(finding.severity, "notice")
    text = finding.explained(HELP_LINE, after=cell_note(finding))
    return f"::{command} {joined}::{escape_data(f'{finding.code} {text}')}"


def render_github(result: RunResult) -> str:
    """One workflow command per finding, paths relative to the checkout (`GITHUB_WORKSPACE`, where
    the runner resolves them), else to the project root."""
    findings = sorted(result.findings, key=lambda f: f.sort_key)
    base = host_root(result.root, "GITHUB_WORKSPACE")
    return "".join(_command(f, report_path(f.path, base)) + "\n" for f in findings)
