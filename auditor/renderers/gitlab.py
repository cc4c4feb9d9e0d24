"""GitLab Code Quality report: the `artifacts:reports:codequality` JSON the merge request widget reads.

GitLab reads a subset of the Code Climate issue format: `description`, `check_name`,
`fingerprint`, `severity` (info, minor, major, critical, blocker), `location.path` and either
`location.lines.begin` or `location.positions.begin.line`. We send `positions` with begin and
end, line and column, because that subset of Code Climate carries the columns too. The rule's
advice goes in Code Climate's optional `content.body` (markdown), which GitLab accepts and does
not show in the widget: the description stays "CODE diagnosis".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from auditor.findings import Finding, Severity
from auditor.fingerprint import fingerprint
from auditor.renderers import RunResult, cell_note
from auditor.renderers.json_format import host_root, report_path

# An auditor error is a bug that will bite, but not a security hole: "major" leaves "critical"
# and "blocker" to the security scanners that share the widget; a warning (a risk that depends on
# traffic) is "minor". ruff also reports its findings as "major".
_SEVERITIES: dict[Severity, str] = {Severity.ERROR: "major", Severity.WARNING: "minor"}


def unique_fingerprints(findings: list[Finding], root: Path | None = None) -> list[str]:
    """Line-independent fingerprints, made unique within the report: GitLab keeps only one issue
    per fingerprint, so a second identical finding would silently vanish from the widget.

    The first occurrence keeps the base fingerprint (the one the baseline and SARIF use); the
    n-th repeat (in report order) gets a hash of the base and n, still 32 hex digits.
    """
    seen: dict[str, int] = {}
    result: list[str] = []
    for finding in findings:
        base = fingerprint(finding, root)
        count = seen.get(base, 0)
        seen[base] = count + 1
        if count == 0:
            result.append(base)
        else:
            result.append(hashlib.sha256(f"{base}:{count}".encode()).hexdigest()[:32])
    return result


def _issue(finding: Finding, path: str, fingerprint_: str) -> dict[str, Any]:
    span = finding.file_span  # a notebook's issue sits on its JSON line; the description names the cell
    issue: dict[str, Any] = {
        "description": f"{finding.code} {finding.message}{cell_note(finding)}",
        "check_name": finding.code,
        "fingerprint": fingerprint_,
        "severity": _SEVERITIES.get(finding.severity, "info"),
        "location": {
            "path": path,
            "positions": {
                "begin": {"line": span.line, "column": span.column},
                "end": {"line": span.end_line, "column": span.end_column},
            },
        },
    }
    if finding.help:
        issue["content"] = {"body": finding.help}
    return issue


def render_gitlab(result: RunResult) -> str:
    """A JSON list of issues; an empty list for a clean run (GitLab then shows no degradation).
    Paths are relative to the checkout (`CI_PROJECT_DIR`, as GitLab expects), else to the project
    root; fingerprints always to the project root."""
    findings = sorted(result.findings, key=lambda f: f.sort_key)
    base = host_root(result.root, "CI_PROJECT_DIR")
    issues = [
        _issue(finding, report_path(finding.path, base), fp)
        for finding, fp in zip(findings, unique_fingerprints(findings, result.root), strict=True)
    ]
    return json.dumps(issues, indent=2) + "\n"
