"""One renderer per output format. A renderer turns a finished run into the text it writes.

Renderers import what they need lazily, so choosing `concise` never pays for building SARIF.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.findings import Finding

# format name -> "module:function" inside auditor.renderers
RENDERERS: dict[str, str] = {
    "full": "text:render_full",
    "concise": "text:render_concise",
    "json": "json_format:render_json",
    "json-lines": "json_format:render_json_lines",
    "sarif": "sarif:render_sarif",
    "github": "github:render_github",
    "gitlab": "gitlab:render_gitlab",
    "junit": "junit:render_junit",
    "markdown": "markdown:render_markdown",
}


@dataclass
class RunResult:
    """Everything a renderer may show about one `auditor check` run."""

    findings: list[Finding]
    files_checked: int
    root: Path = field(default_factory=Path.cwd)
    # The flagged lines of each file, for showing the source under a finding: path -> {line: text}.
    sources: dict[str, dict[int, str]] = field(default_factory=dict)
    color: bool = False
    baseline_hidden: int = 0
    fixing: bool = False  # --fix: the summary says what was fixed
    fixed: int = 0
    # Fixes the reported findings carry that --fix would apply, and that need --unsafe-fixes.
    fixable: int = 0
    unsafe_fixable: int = 0


Renderer = Callable[[RunResult], str]


# Between a finding's diagnosis and its advice in the formats with one text per finding.
HELP_LINE = "\nhelp: "


def cell_note(finding: Finding) -> str:
    """` (cell 3:2:5)`, for formats that point at a notebook's own text (its JSON) and so need
    to tell a reader where that is on screen; empty for other files."""
    return f" ({finding.cell_label})" if finding.cell is not None else ""


def get_renderer(name: str) -> Renderer:
    module_name, function = RENDERERS[name].split(":")
    module = importlib.import_module(f"auditor.renderers.{module_name}")
    renderer: Renderer = getattr(module, function)
    return renderer
