"""Machine-readable output: one stable dictionary per finding, shared by `json` and `json-lines`.

The schema of `finding_to_dict` is a public contract (scripts and CI glue read it), so keys are
only ever added, never renamed, and always come out in the same order:

    {
      "code": "ANT101",
      "name": "rule-name",
      "severity": "error" | "warning",
      "message": "...",
      "path": "pkg/module.py",              # relative to the project root, forward slashes
      "start": {"line": 3, "column": 5},    # 1-based (in a notebook: inside the cell)
      "end": {"line": 3, "column": 17},     # 1-based, exclusive
      "fix": null | {
        "message": "...",
        "safe": true | false,
        "edits": [{"start": {...}, "end": {...}, "content": "..."}]
      },
      "fingerprint": "<32 hex digits>",     # line-independent, see auditor.fingerprint
      "cell": null | 3,                     # a notebook's cell, 1-based among all its cells
      "help": null | "..."                  # what to do about it, when the rule has advice
    }

`message` is the diagnosis (what is wrong, with the numbers); `help` the advice the full text
format prints on its `= help:` line. `help` came last, as keys are only ever added.

`relative_path` and `report_path` live here too because every CI format needs the same
root-relative path. A file name that is not UTF-8 (possible on Linux) is shown with each such byte
as `\\xNN` (see `auditor.findings.printable_path`), so the JSON stays valid UTF-8.
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from auditor.findings import Edit, Finding, Span, printable_path
from auditor.fingerprint import fingerprint
from auditor.renderers import RunResult


def relative_path(path: str, root: Path | None) -> str:
    """The path reports show: relative to `root`, with forward slashes, whatever the OS.

    Findings carry paths relative to the working directory (what a terminal user clicks); CI
    formats and fingerprints want them relative to the repository root, whatever directory
    auditor was started from. A path outside the root stays absolute. The root is tried as
    given, then with symlinks resolved, since /tmp and the like are often links.
    """
    candidate = Path(path.replace("\\", "/"))
    if root is None:
        return PurePosixPath(candidate.as_posix()).as_posix()
    if not candidate.is_absolute():
        candidate = Path.cwd() / candidate
    for base, target in ((root.absolute(), candidate.absolute()), (root.resolve(), candidate.resolve())):
        try:
            return PurePosixPath(target.relative_to(base).as_posix()).as_posix()
        except ValueError:
            continue
    return candidate.as_posix()


def host_root(root: Path, variable: str) -> Path:
    """The directory a code host resolves report paths against: its checkout, named by `variable`
    (`GITHUB_WORKSPACE`, `CI_PROJECT_DIR`) when running there, else the project root. A project
    in a sub-directory of the repository still gets annotations on the right files."""
    checkout = os.environ.get(variable)
    return Path(checkout) if checkout else root


def report_path(path: str, root: Path | None) -> str:
    """`relative_path`, printable: what every report but SARIF's URIs shows."""
    return printable_path(relative_path(path, root))


def _position(line: int, column: int) -> dict[str, int]:
    return {"line": line, "column": column}


def _edit_to_dict(edit: Edit) -> dict[str, Any]:
    span: Span = edit.span
    return {
        "start": _position(span.line, span.column),
        "end": _position(span.end_line, span.end_column),
        "content": edit.content,
    }


def finding_to_dict(finding: Finding, root: Path | None = None) -> dict[str, Any]:
    """The documented JSON form of one finding (see the module docstring), keys in fixed order.

    With `root`, the path is made relative to it; without, it is the finding's own path.
    """
    fix: dict[str, Any] | None = None
    if finding.fix is not None:
        fix = {
            "message": finding.fix.message,
            "safe": finding.fix.safe,
            "edits": [_edit_to_dict(edit) for edit in finding.fix.edits],
        }
    span = finding.location
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": report_path(finding.path, root),
        "start": _position(span.line, span.column),
        "end": _position(span.end_line, span.end_column),
        "fix": fix,
        "fingerprint": fingerprint(finding, root),
        "cell": finding.cell.number if finding.cell is not None else None,
        "help": finding.help,
    }


def render_json_lines(result: RunResult) -> str:
    """One compact JSON object per line, so `grep`, `jq -c` and log shippers can stream it.

    ASCII-only (`ensure_ascii`), so the output survives any console encoding unchanged.
    """
    findings = sorted(result.findings, key=lambda f: f.sort_key)
    return "".join(json.dumps(finding_to_dict(f, result.root)) + "\n" for f in findings)


def render_json(result: RunResult) -> str:
    """A JSON array of findings (the schema above), sorted by path and position."""
    ordered = sorted(result.findings, key=lambda f: f.sort_key)
    return json.dumps([finding_to_dict(f, result.root) for f in ordered], indent=2, ensure_ascii=False) + "\n"
