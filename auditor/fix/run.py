"""Fix the files of a run: which fixes are wanted, and each file read, fixed, checked, written.

The CLI calls `fix_run` after the ordinary check. Each file with a wanted fix is read and
checked again here rather than trusting the earlier findings (the cache's, possibly from
another moment), so the fixes apply to exactly the bytes that are compared before the write.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.api import analysis_supervisor, check_text
from auditor.config import RuleSelection, Settings
from auditor.engine import FileResult, analyse, finish, flagged_lines
from auditor.findings import Finding
from auditor.fix.apply import Chooser, FixedSource, fix_source
from auditor.fix.edits import split_lines
from auditor.fix.files import NotWritten, read_source, write_source
from auditor.notebook import is_notebook
from auditor.rule import resolve_selection

if TYPE_CHECKING:
    from auditor.api import _Job
    from auditor.supervisor import Supervisor

    AnalysisSupervisor = Supervisor[_Job, tuple[FileResult, str | None]]

# An extra say over each round's fixes, per file (the baseline's, the changed lines'):
# (path, the findings the fixes may come from, round) -> the findings whose fixes may apply.
Limit = Callable[[str, list[Finding], int], list[Finding]]


def fixable_codes(settings: Settings) -> set[str]:
    """The rules whose fixes may be applied: `fixable` against `unfixable`, the more specific
    selector winning as in rule selection (`unfixable = ["ANT4"]` with `fixable = ["ANT402"]`)."""
    return resolve_selection([RuleSelection(settings.fixable, (), settings.unfixable)])


def fixes_apply_to(finding: Finding) -> bool:
    """Can --fix apply this finding's fix? Not yet in a notebook: its edits are inside a cell,
    and writing a cell back into the notebook's JSON is still to come."""
    return finding.fix is not None and finding.cell is None and not is_notebook(finding.path)


def wanted(finding: Finding, allowed: set[str], unsafe: bool) -> bool:
    return finding.fix is not None and finding.code in allowed and (finding.fix.safe or unsafe)


@dataclass
class FileFix:
    path: str  # as findings show it
    original: str
    result: FixedSource
    lines: dict[int, str] | None  # the flagged lines of the final text
    written: bool = False
    warning: str | None = None  # why a fixed text was not written

    def diff(self) -> str:
        """The change as a unified diff (`git apply` and `patch -p0` take it)."""
        before, after = split_lines(self.original), split_lines(self.result.text)
        lines = difflib.unified_diff(before, after, self.path, self.path)
        return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in lines)


@dataclass
class FixRun:
    files: list[FileFix] = field(default_factory=list)

    @property
    def fixed(self) -> int:
        return sum(sum(f.result.fixed.values()) for f in self.files if f.warning is None)

    @property
    def errors(self) -> list[str]:
        return [f"cannot fix {f.path}: {f.result.error}" for f in self.files if f.result.error]

    @property
    def warnings(self) -> list[str]:
        return [f.warning for f in self.files if f.warning]


def checker(shown: str, settings: Settings, supervisor: AnalysisSupervisor | None = None) -> Callable[[str], list[Finding]]:
    """Check a text as the file `shown` would be checked (suppressions, per-file ignores): in
    `supervisor`'s worker, as every check runs, or in this process (tests, small tools)."""

    def check(text: str) -> list[Finding]:
        if supervisor is not None:
            result = check_text(text, Path(shown), settings, supervisor)
        else:
            result = finish(_analysed(shown, text, settings), settings)
        if result.errors:
            raise RuntimeError("; ".join(result.errors))
        return result.findings

    return check


def _analysed(shown: str, text: str, settings: Settings) -> FileResult:
    result = FileResult(shown)
    analyse(result, text, True, settings)
    return result


def fix_file(
    shown: str,
    settings: Settings,
    choose: Chooser,
    write: bool,
    before_replace: Callable[[Path], None] | None = None,
    supervisor: AnalysisSupervisor | None = None,
) -> FileFix | None:
    """Fix one file (and write it when `write`); None when it cannot be read or checked (the
    check has already reported why)."""
    try:
        source = read_source(Path(shown))
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
        return None
    check = checker(shown, settings, supervisor)
    try:
        findings = check(source.text)
    except RuntimeError:
        return None
    result = fix_source(source.text, check, choose, findings)
    fixed = FileFix(shown, source.text, result, flagged_lines(result.text, result.findings))
    if write and result.text != source.text:
        try:
            write_source(source, result.text, before_replace)
            fixed.written = True
        except NotWritten as error:
            fixed.warning = f"{shown} was not fixed: {error}"
            fixed.result = FixedSource(source.text, findings)  # report the file as it is
            fixed.lines = flagged_lines(source.text, findings)
    return fixed


def fix_run(findings: list[Finding], settings_for: Callable[[Path], Settings], unsafe: bool, write: bool, limit: Limit | None = None) -> FixRun:
    """Fix every file among `findings` that has a wanted fix, in the order of the findings
    (notebooks aside, see `fixes_apply_to`)."""
    run = FixRun()
    paths = list(dict.fromkeys(f.path for f in findings if fixes_apply_to(f)))
    todo = []
    for path in paths:
        settings = settings_for(Path(path))
        allowed = fixable_codes(settings)
        if any(wanted(f, allowed, unsafe) for f in findings if f.path == path):
            todo.append((path, settings, allowed))
    if not todo:
        return run
    with analysis_supervisor() as supervisor:
        for path, settings, allowed in todo:

            def choose(current: list[Finding], round_number: int, path: str = path, allowed: set[str] = allowed) -> list[Finding]:
                chosen = limit(path, current, round_number) if limit is not None else current
                return [f for f in chosen if wanted(f, allowed, unsafe)]

            fixed = fix_file(path, settings, choose, write, supervisor=supervisor)
            if fixed is not None:
                run.files.append(fixed)
    return run
